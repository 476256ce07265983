package api

import (
	"context"
	"encoding/json"
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
