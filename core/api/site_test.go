package api

import (
	"net/http"
	"testing"
)

// A web page must not drive the daemon: not from a foreign origin (CSRF), not by pointing its
// own DNS name at it (DNS rebinding), not with a form or text/plain POST.
func TestSiteChecksRefuseForeignPages(t *testing.T) {
	t.Parallel()
	plain := testServer(t, Deps{})
	configured := testServer(t, Deps{
		AllowedHosts:   []string{"hv.example.com", "pinned.example:9000"},
		AllowedOrigins: []string{"https://console.example.com"},
	})
	wildcard := testServer(t, Deps{Listen: "0.0.0.0:8080"})
	const submit = "/jobs/submit"
	cases := []struct {
		name   string
		srv    http.Handler
		req    testRequest
		status int
		code   string
		field  string
	}{
		{"loopback host", plain, testRequest{method: "GET", path: "/openapi.json"}, 200, "", ""},
		{"localhost on another port (ssh -L, docker -p)", plain, testRequest{method: "GET", path: "/openapi.json", header: map[string]string{"Host": "localhost:9999"}}, 200, "", ""},
		{"ipv6 loopback", plain, testRequest{method: "GET", path: "/openapi.json", header: map[string]string{"Host": "[::1]:8080"}}, 200, "", ""},
		{"rebinding host", plain, testRequest{method: "GET", path: "/openapi.json", header: map[string]string{"Host": "evil.example:8080"}}, 421, "host_not_allowed", "Host"},
		{"rebinding host on a mutation", plain, testRequest{method: "POST", path: submit, body: "[]", header: map[string]string{"Host": "evil.example:8080", "Content-Type": "application/json"}}, 421, "host_not_allowed", "Host"},
		{"configured host, any port", configured, testRequest{method: "GET", path: "/openapi.json", header: map[string]string{"Host": "HV.example.com."}}, 200, "", ""},
		{"configured host, pinned port", configured, testRequest{method: "GET", path: "/openapi.json", header: map[string]string{"Host": "pinned.example:9000"}}, 200, "", ""},
		{"configured host, other port", configured, testRequest{method: "GET", path: "/openapi.json", header: map[string]string{"Host": "pinned.example:8080"}}, 421, "host_not_allowed", "Host"},
		{"wildcard listen still refuses foreign names", wildcard, testRequest{method: "GET", path: "/openapi.json", header: map[string]string{"Host": "evil.example:8080"}}, 421, "host_not_allowed", "Host"},

		{"foreign origin", plain, testRequest{method: "POST", path: submit, body: "[]", header: map[string]string{"Origin": "http://evil.example", "Content-Type": "application/json"}}, 403, "origin_not_allowed", "Origin"},
		{"null origin", plain, testRequest{method: "POST", path: submit, body: "[]", header: map[string]string{"Origin": "null", "Content-Type": "application/json"}}, 403, "origin_not_allowed", "Origin"},
		{"another local site", plain, testRequest{method: "POST", path: submit, body: "[]", header: map[string]string{"Origin": "http://localhost:3000", "Content-Type": "application/json"}}, 403, "origin_not_allowed", "Origin"},
		{"foreign origin opening the websocket", plain, testRequest{method: "GET", path: "/websocket", header: map[string]string{"Origin": "https://evil.example", "Connection": "Upgrade", "Upgrade": "websocket"}}, 403, "origin_not_allowed", "Origin"},
		{"same origin", plain, testRequest{method: "POST", path: submit, body: "[]", header: map[string]string{"Origin": "http://127.0.0.1:8080", "Content-Type": "application/json"}}, 400, "invalid_request", ""},
		{"loopback origin on the listening port", plain, testRequest{method: "POST", path: submit, body: "[]", header: map[string]string{"Origin": "http://localhost:8080", "Content-Type": "application/json"}}, 400, "invalid_request", ""},
		{"configured origin", configured, testRequest{method: "POST", path: submit, body: "[]", header: map[string]string{"Origin": "https://console.example.com:443", "Content-Type": "application/json"}}, 400, "invalid_request", ""},

		{"text/plain body", plain, testRequest{method: "POST", path: submit, body: "[]", header: map[string]string{"Content-Type": "text/plain"}}, 415, "unsupported_media_type", "Content-Type"},
		{"form body", plain, testRequest{method: "POST", path: "/webhooks/configure", body: `{"url":"http://x"}`, header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}, 415, "unsupported_media_type", "Content-Type"},
		{"no content type", plain, testRequest{method: "POST", path: submit, body: "[]"}, 415, "unsupported_media_type", "Content-Type"},
		{"bodyless POST without a type", plain, testRequest{method: "POST", path: "/jobs/cancel/j1"}, 415, "unsupported_media_type", "Content-Type"},
		{"PUT with a text body", plain, testRequest{method: "PUT", path: "/schedules/s1", body: "{}", header: map[string]string{"Content-Type": "text/plain"}}, 415, "unsupported_media_type", "Content-Type"},
		{"json with a charset", plain, testRequest{method: "POST", path: submit, body: "[]", header: map[string]string{"Content-Type": "application/json; charset=utf-8"}}, 400, "invalid_request", ""},
		{"unknown route stays a 404", plain, testRequest{method: "POST", path: "/nope", body: "x", header: map[string]string{"Content-Type": "text/plain"}}, 404, "not_found", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			status, body, e := send(t, c.srv, c.req)
			if status != c.status || e.Code != c.code || e.Field != c.field {
				t.Fatalf("%s %s = %d %s, want %d code %q field %q", c.req.method, c.req.path, status, body, c.status, c.code, c.field)
			}
		})
	}
}
