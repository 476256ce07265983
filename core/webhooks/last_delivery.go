package webhooks

import (
	"sync"
	"time"
)

// LastDelivery is how the latest attempt to deliver an event to a hook went. It is kept in
// memory, for GET /webhooks and the dashboard: a hook shows none until an attempt is made after
// the daemon started (the outbox keeps what is still owed, not what was sent).
type LastDelivery struct {
	Event   string    `json:"event"`
	At      time.Time `json:"at"`
	OK      bool      `json:"ok"`
	Attempt int       `json:"attempt"`
	// Error is why the attempt failed (the receiver's status, or the connection's error; never
	// the hook's URL, which may be a credential).
	Error string `json:"error,omitempty"`
}

// lastDeliveries holds each hook's LastDelivery.
type lastDeliveries struct {
	mu sync.Mutex
	by map[string]LastDelivery
}

func (l *lastDeliveries) record(hookID, event string, attempt int, at time.Time, err error) {
	d := LastDelivery{Event: event, At: at.UTC(), OK: err == nil, Attempt: attempt}
	if err != nil {
		d.Error = err.Error()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.by == nil {
		l.by = map[string]LastDelivery{}
	}
	l.by[hookID] = d
}

// LastDelivery says how the latest attempt to deliver to the hook went, if one was made since
// the daemon started.
func (d *Dispatcher) LastDelivery(hookID string) (LastDelivery, bool) {
	d.last.mu.Lock()
	defer d.last.mu.Unlock()
	ld, ok := d.last.by[hookID]
	return ld, ok
}
