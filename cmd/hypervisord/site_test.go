package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// With auth off, a web page the operator opens must not drive the daemon through the browser:
// not by a text/plain or form POST (no preflight), not from a foreign origin, not through DNS
// rebinding, and not over the WebSocket.
func TestWebPagesCannotDriveTheDaemon(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, testproviderConfig)
	hook := `{"url":"http://127.0.0.1:9/steal","events":["*"]}`
	port := d.url[strings.LastIndex(d.url, ":")+1:]
	cases := []struct {
		name, method, path, body string
		header                   map[string]string
		status                   int
		code                     string
	}{
		{"text/plain POST, as a page's fetch sends it", "POST", "/webhooks/configure", hook, map[string]string{"Content-Type": "text/plain"}, 415, "unsupported_media_type"},
		{"form POST", "POST", "/jobs/submit", `{"vm_identifier":"vm-001","provider":"testprovider"}`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"},
		{"bodyless POST without the type", "POST", "/jobs/cancel/job-x", "", nil, 415, "unsupported_media_type"},
		{"foreign origin", "POST", "/webhooks/configure", hook, map[string]string{"Content-Type": "application/json", "Origin": "http://evil.example"}, 403, "origin_not_allowed"},
		{"DNS rebinding", "POST", "/webhooks/configure", hook, map[string]string{"Content-Type": "application/json", "Host": "evil.example:" + port}, 421, "host_not_allowed"},
		{"DNS rebinding, reading", "GET", "/jobs", "", map[string]string{"Host": "evil.example:" + port}, 421, "host_not_allowed"},
	}
	for _, c := range cases {
		status, body, _ := d.send(c.method, c.path, c.body, c.header)
		if e, _ := body["error"].(map[string]any); status != c.status || e["code"] != c.code {
			t.Errorf("%s: %s %s = %d %v, want %d %s", c.name, c.method, c.path, status, body, c.status, c.code)
		}
	}
	if _, list, _ := d.do("GET", "/webhooks", ""); len(list["webhooks"].([]any)) != 0 {
		t.Fatalf("a refused request registered a webhook: %v", list)
	}
	if status, body, _ := d.send("POST", "/webhooks/configure", hook, map[string]string{"Content-Type": "application/json", "Origin": d.url}); status != 201 {
		t.Fatalf("same-origin JSON POST = %d %v, want 201", status, body)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws := strings.Replace(d.url, "http", "ws", 1) + "/websocket"
	if _, resp, err := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://evil.example"}}}); err == nil || resp == nil || resp.StatusCode != 403 {
		t.Errorf("WebSocket from a foreign origin: err %v, response %v; want 403", err, resp)
	}
	conn, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {d.url}}})
	if err != nil {
		t.Fatalf("WebSocket from the daemon's own origin: %v", err)
	}
	conn.CloseNow()
}
