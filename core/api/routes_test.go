package api

import (
	"strings"
	"testing"
)

// /jobs/ answers as /jobs does — never Gin's 301 with an HTML body — and what no route serves
// is a JSON 404.
func TestTrailingSlashAnswersLikeTheRoute(t *testing.T) {
	t.Parallel()
	srv := testServer(t, Deps{Version: "test"})
	json := map[string]string{"Content-Type": "application/json"}
	cases := []struct {
		bare, slashed testRequest
		status        int
	}{
		{testRequest{method: "GET", path: "/health"}, testRequest{method: "GET", path: "/health/"}, 200},
		{testRequest{method: "GET", path: "/openapi.json"}, testRequest{method: "GET", path: "/openapi.json//"}, 200},
		{testRequest{method: "POST", path: "/jobs/submit", body: "[]", header: json}, testRequest{method: "POST", path: "/jobs/submit/", body: "[]", header: json}, 400},
		{testRequest{method: "GET", path: "/no/such/route"}, testRequest{method: "GET", path: "/no/such/route/"}, 404},
		{testRequest{method: "DELETE", path: "/health"}, testRequest{method: "DELETE", path: "/health/"}, 405},
	}
	for _, c := range cases {
		bareStatus, bareBody, bareErr := send(t, srv, c.bare)
		status, body, e := send(t, srv, c.slashed)
		if status != c.status || bareStatus != c.status || e.Code != bareErr.Code {
			t.Errorf("%s %s = %d %q; %s = %d %q; want both %d", c.bare.method, c.bare.path, bareStatus, bareBody, c.slashed.path, status, body, c.status)
		}
		if !strings.HasPrefix(strings.TrimSpace(body), "{") {
			t.Errorf("%s %s answered something that is not JSON: %q", c.slashed.method, c.slashed.path, body)
		}
	}
}
