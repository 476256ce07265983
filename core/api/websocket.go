package api

import (
	"context"
	"encoding/json"
	"time"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"
)

// wsBuffer is how many events a WebSocket client may fall behind before it is dropped.
const wsBuffer = 256

// websocket streams bus events as JSON text messages: {"event","job_id","status","progress",…},
// the fields the seed's JavaScript reads. ?job_id= limits the stream to one job. A client that
// cannot keep up is disconnected rather than allowed to slow anything else.
func (h *handlers) websocket(c *gin.Context) {
	// Any origin may connect: the API has no cookies to steal, and scripts from other origins
	// are how dashboards use it. Authentication (when enabled) applies to this route too.
	conn, err := websocket.Accept(c.Writer, c.Request, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer conn.CloseNow()
	only := c.Query("job_id")
	events, cancel := h.Bus.Subscribe(wsBuffer)
	defer cancel()
	ctx := conn.CloseRead(context.WithoutCancel(c.Request.Context()))
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-events:
			if !ok {
				conn.Close(websocket.StatusPolicyViolation, "client too slow; events dropped")
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
