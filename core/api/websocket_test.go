package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/core/events"
)

// A client that stops reading is dropped once it is wsBuffer events behind, and the last thing
// it reads is a stream.dropped message followed by a policy-violation close frame; the publisher
// never waited for it.
func TestSlowWebSocketClientIsToldItWasDropped(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.ReleaseMode)
	bus := events.NewBus()
	r := gin.New()
	r.GET("/websocket", (&handlers{Deps: Deps{Bus: bus}}).websocket)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)

	// The handler subscribes after the handshake: publish until the client sees an event.
	first := make(chan error, 1)
	go func() {
		_, _, err := conn.Read(ctx)
		first <- err
	}()
	for subscribed := false; !subscribed; {
		bus.Publish(events.Event{Type: events.JobCreated, JobID: "hello"})
		select {
		case err := <-first:
			if err != nil {
				t.Fatal(err)
			}
			subscribed = true
		case <-time.After(10 * time.Millisecond):
		}
	}

	// Far more than the socket buffers and wsBuffer hold, while the client reads nothing.
	big := strings.Repeat("x", 16<<10)
	for i := 0; i < 3000; i++ {
		bus.Publish(events.Event{Type: events.JobProgress, JobID: "burst", Message: big})
	}

	var last events.Event
	n := 0
	for {
		_, msg, err := conn.Read(ctx)
		if err != nil {
			if status := websocket.CloseStatus(err); status != websocket.StatusPolicyViolation {
				t.Fatalf("stream ended with %v (close status %v), want a policy-violation close", err, status)
			}
			break
		}
		n++
		last = events.Event{}
		if err := json.Unmarshal(msg, &last); err != nil {
			t.Fatal(err)
		}
	}
	if last.Type != events.StreamDropped || !strings.Contains(last.Message, "fell more than") {
		t.Errorf("last message is a %s of %d bytes, want a %s explanation", last.Type, len(last.Message), events.StreamDropped)
	}
	if n >= 3000 {
		t.Errorf("client read %d messages: it was never dropped", n)
	}
}

// The event stream opens to the pages the site check allows — the daemon's own origin, one in
// daemon.allowed_origins, a client that sends no Origin — and to no other web page.
func TestWebSocketOpensOnlyToAllowedOrigins(t *testing.T) {
	t.Parallel()
	gin.SetMode(gin.ReleaseMode)
	srv := httptest.NewServer(testServer(t, Deps{Bus: events.NewBus(), AllowedOrigins: []string{"https://console.example.com"}}))
	t.Cleanup(srv.Close)
	ws := "ws" + strings.TrimPrefix(srv.URL, "http") + "/websocket"
	cases := []struct {
		origin string
		opens  bool
	}{
		{"", true},
		{srv.URL, true},
		{"https://console.example.com", true},
		{"https://evil.example", false},
		{"http://localhost:3000", false},
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, c := range cases {
		opts := &websocket.DialOptions{HTTPHeader: http.Header{}}
		if c.origin != "" {
			opts.HTTPHeader.Set("Origin", c.origin)
		}
		conn, resp, err := websocket.Dial(ctx, ws, opts)
		switch {
		case c.opens && err != nil:
			t.Errorf("Origin %q: %v, want the stream", c.origin, err)
		case !c.opens && (err == nil || resp == nil || resp.StatusCode != http.StatusForbidden):
			t.Errorf("Origin %q: err %v, response %v; want 403", c.origin, err, resp)
		}
		if conn != nil {
			conn.CloseNow()
		}
	}
}
