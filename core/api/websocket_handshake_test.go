package api

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/core/events"
)

// GET /websocket that is no WebSocket handshake answers with the API's JSON error naming the
// header at fault — 426 with Upgrade: websocket when it asks for no upgrade, 400 for a bad
// version or key — and never reaches the library's text/plain answer.
func TestWebSocketWithoutAHandshakeIsAJSONError(t *testing.T) {
	t.Parallel()
	h := testServer(t, Deps{Bus: events.NewBus()})
	const key = "dGhlIHNhbXBsZSBub25jZQ=="
	cases := []struct {
		name    string
		header  map[string]string
		status  int
		code    string
		field   string
		upgrade string // the answer's Upgrade header
	}{
		{"a plain GET", nil, 426, "upgrade_required", "Connection", "websocket"},
		{"Connection without Upgrade", map[string]string{"Connection": "Upgrade"}, 426, "upgrade_required", "Upgrade", "websocket"},
		{"Upgrade to something else", map[string]string{"Connection": "keep-alive, Upgrade", "Upgrade": "h2c"}, 426, "upgrade_required", "Upgrade", "websocket"},
		{"no version", map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Key": key}, 400, "invalid_header", "Sec-WebSocket-Version", ""},
		{"no key", map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13"}, 400, "invalid_header", "Sec-WebSocket-Key", ""},
		{"a key that is not 16 bytes", map[string]string{"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "c2hvcnQ="}, 400, "invalid_header", "Sec-WebSocket-Key", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://127.0.0.1:8080/websocket", nil)
			for k, v := range c.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			var env ErrorBody
			err := json.Unmarshal(w.Body.Bytes(), &env)
			if w.Code != c.status || err != nil || env.Error.Code != c.code || env.Error.Field != c.field ||
				!strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") || w.Header().Get("Upgrade") != c.upgrade {
				t.Errorf("GET /websocket with %v = %d %s %q (Upgrade: %q), want %d %s naming %q (Upgrade: %q)",
					c.header, w.Code, w.Header().Get("Content-Type"), w.Body.String(), w.Header().Get("Upgrade"), c.status, c.code, c.field, c.upgrade)
			}
		})
	}
}
