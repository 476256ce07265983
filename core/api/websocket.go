package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/core/events"
)

// wsBuffer is how many events a WebSocket client may fall behind before it is dropped.
const wsBuffer = 256

// websocket streams bus events as JSON text messages: {"event","job_id","status","progress",…},
// the fields the seed's JavaScript reads. ?job_id= limits the stream to one job. A client that
// cannot keep up is disconnected rather than allowed to slow anything else, and is told so: a
// last "stream.dropped" message, then a close frame (policy violation).
// A request that is no WebSocket handshake gets the API's JSON error (checkHandshake).
func (h *handlers) websocket(c *gin.Context) {
	// Who may connect was settled before this handler: checkSite refused a page of a foreign
	// Origin (403), so a browser gets here only from the daemon's own origin, a loopback one or
	// daemon.allowed_origins — and a non-browser client sends none. The library's own Origin
	// check (same host only) is therefore off: it would refuse the allowed dashboards.
	// Authentication (when enabled) applies to this route too.
	if e := checkHandshake(c.Request); e != nil {
		if e.status == http.StatusUpgradeRequired {
			c.Header("Upgrade", "websocket") // a 426 says what to upgrade to (RFC 9110 15.5.22)
			c.Header("Connection", "Upgrade")
		}
		if e.field == "Sec-WebSocket-Version" {
			c.Header("Sec-WebSocket-Version", "13")
		}
		abort(c, e.status, e.code, e.message, e.field)
		return
	}
	conn, err := websocket.Accept(c.Writer, c.Request, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer conn.CloseNow()
	only := c.Query("job_id")
	stream, cancel := h.Bus.Subscribe(wsBuffer)
	defer cancel()
	ctx := conn.CloseRead(context.WithoutCancel(c.Request.Context()))
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-stream:
			if !ok {
				dropSlowClient(ctx, conn)
				return
			}
			if only != "" && ev.JobID != only {
				continue
			}
			msg, _ := json.Marshal(ev)
			wctx, done := context.WithTimeout(ctx, 5*time.Second)
			err := conn.Write(wctx, websocket.MessageText, msg)
			done()
			if err != nil {
				return
			}
		}
	}
}

// dropSlowClient ends the stream of a client the bus dropped for falling behind: it says why,
// and what to do, before closing.
func dropSlowClient(ctx context.Context, conn *websocket.Conn) {
	msg, err := json.Marshal(events.Event{Type: events.StreamDropped, Time: time.Now().UTC(), Message: fmt.Sprintf(
		"this client fell more than %d events behind and was disconnected; later events were not sent. Reconnect and re-read state (GET /jobs).", wsBuffer)})
	if err != nil {
		return
	}
	wctx, done := context.WithTimeout(ctx, 5*time.Second)
	defer done()
	if conn.Write(wctx, websocket.MessageText, msg) == nil {
		conn.Close(websocket.StatusPolicyViolation, "client too slow; events dropped")
	}
}
