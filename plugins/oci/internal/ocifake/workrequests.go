package ocifake

import (
	"net/http"
	"time"
)

// workRequest is an asynchronous operation that advances with time: percentComplete grows
// from 0 to 100 over its duration, then it ends and its effect is applied.
type workRequest struct {
	ID, Op, Compartment, Resource string
	start                         time.Time
	duration                      time.Duration
	fails                         string
	stallAt                       float32
	status                        string
	pct                           float32
	done                          func(ok bool)
}

// startWork starts a work request on resource; c.mu is held.
func (c *Cloud) startWork(op, compartment, resource string, d time.Duration, done func(ok bool)) string {
	wr := &workRequest{ID: c.newID("workrequest"), Op: op, Compartment: compartment, Resource: resource, start: time.Now(),
		duration: max(d, time.Millisecond), status: "ACCEPTED", done: done}
	if op == "ExportImage" {
		wr.fails, wr.stallAt = c.ExportFails, c.StallAt
	}
	c.work[wr.ID] = wr
	return wr.ID
}

// advance moves every work request on to now; c.mu is held.
func (c *Cloud) advance() {
	for _, wr := range c.work {
		if wr.status == "SUCCEEDED" || wr.status == "FAILED" {
			continue
		}
		wr.status = "IN_PROGRESS"
		wr.pct = min(float32(time.Since(wr.start))/float32(wr.duration)*100, 100)
		if wr.stallAt > 0 && wr.pct >= wr.stallAt {
			wr.pct = wr.stallAt
			continue
		}
		if wr.fails != "" && wr.pct >= 50 {
			wr.status = "FAILED"
			wr.done(false)
			continue
		}
		if wr.pct >= 100 {
			wr.status = "SUCCEEDED"
			wr.done(true)
		}
	}
}

func (c *Cloud) getWorkRequest(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	wr := c.work[r.PathValue("id")]
	if wr == nil {
		notFound(w, "work request "+r.PathValue("id"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": wr.ID, "operationType": wr.Op, "status": wr.status, "compartmentId": wr.Compartment,
		"resources":       []map[string]any{{"entityType": "image", "actionType": "IN_PROGRESS", "identifier": wr.Resource}},
		"percentComplete": wr.pct, "timeAccepted": rfc3339(wr.start)})
}

func (c *Cloud) workRequestErrors(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	wr := c.work[r.PathValue("id")]
	if wr == nil {
		notFound(w, "work request "+r.PathValue("id"))
		return
	}
	out := []map[string]any{}
	if wr.status == "FAILED" {
		out = append(out, map[string]any{"code": "InternalError", "message": wr.fails, "timestamp": rfc3339(time.Now())})
	}
	writeJSON(w, http.StatusOK, out)
}

// Unstall lets stalled work requests finish at once, and later ones run.
func (c *Cloud) Unstall() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.StallAt = 0
	for _, wr := range c.work {
		if wr.stallAt > 0 {
			wr.stallAt, wr.duration = 0, time.Millisecond
		}
	}
	c.advance()
}
