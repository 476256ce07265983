// Package events is the daemon's one in-process event bus. Jobs, schedules and policies publish;
// the WebSocket stream and webhook delivery subscribe. A subscriber that cannot keep up is
// dropped instead of slowing the publisher or anyone else.
package events

import (
	"fmt"
	"strconv"
	"sync"
	"time"
)

// Event types.
const (
	JobCreated         = "job.created"
	JobStarted         = "job.started"
	JobProgress        = "job.progress"
	JobCompleted       = "job.completed"
	JobFailed          = "job.failed"
	JobCancelled       = "job.cancelled"
	ScheduleTriggered  = "schedule.triggered"
	PolicyRunStarted   = "policy.run.started"
	PolicyRunCompleted = "policy.run.completed"
	BackupPruned       = "backup.pruned"
)

// Event is one thing that happened. The JSON shape is what WebSocket clients and webhooks get:
// the seed's example reads job_id, status and progress.
type Event struct {
	// ID is unique per event (at-least-once webhook receivers de-duplicate on it).
	ID       string    `json:"id"`
	Type     string    `json:"event"`
	Time     time.Time `json:"time"`
	JobID    string    `json:"job_id,omitempty"`
	Status   string    `json:"status,omitempty"`
	Stage    string    `json:"stage,omitempty"`
	Progress float64   `json:"progress"`
	Message  string    `json:"message,omitempty"`
	Data     any       `json:"data,omitempty"`
}

// Bus fans events out to subscribers.
type Bus struct {
	mu   sync.Mutex
	next int
	subs map[int]chan Event
	boot string // distinguishes this daemon run's event ids from the last one's
	seq  uint64
}

// NewBus returns an empty bus.
func NewBus() *Bus {
	return &Bus{subs: map[int]chan Event{}, boot: strconv.FormatInt(time.Now().UnixNano(), 36)}
}

// Publish delivers e to every subscriber whose buffer has room; a full subscriber is closed and
// removed, so one stuck client never holds up the daemon.
func (b *Bus) Publish(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	if e.ID == "" {
		e.ID = fmt.Sprintf("evt-%s-%d", b.boot, b.seq)
	}
	for id, ch := range b.subs {
		select {
		case ch <- e:
		default:
			close(ch)
			delete(b.subs, id)
		}
	}
}

// Subscribe returns a channel of future events with room for buffer of them, and a function
// that ends the subscription. The channel is closed when the subscriber falls behind.
func (b *Bus) Subscribe(buffer int) (<-chan Event, func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	id := b.next
	b.next++
	ch := make(chan Event, buffer)
	b.subs[id] = ch
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if c, ok := b.subs[id]; ok {
			close(c)
			delete(b.subs, id)
		}
	}
}
