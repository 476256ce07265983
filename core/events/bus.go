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

	// StreamDropped is never published: it is the last message a WebSocket client gets when it
	// fell behind and was dropped, so it knows to reconnect and re-read state.
	StreamDropped = "stream.dropped"
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

// Bus fans events out to recorders, followers and subscribers (see the package documentation).
type Bus struct {
	mu        sync.Mutex
	next      int
	subs      map[int]chan Event
	queues    map[*Queue]struct{}
	recorders map[*recorder]struct{}
	boot      string // distinguishes this daemon run's event ids from the last one's
	seq       uint64
}

// NewBus returns an empty bus.
func NewBus() *Bus {
	return &Bus{subs: map[int]chan Event{}, queues: map[*Queue]struct{}{}, recorders: map[*recorder]struct{}{},
		boot: strconv.FormatInt(time.Now().UnixNano(), 36)}
}

// Publish stamps e (time, id) and delivers it: to every recorder, returning once they have
// handled it; to every follower's queue; and to every subscriber whose buffer has room — a full
// subscriber is closed and removed, so one stuck client never holds up the daemon.
func (b *Bus) Publish(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now().UTC()
	}
	b.mu.Lock()
	b.seq++
	seq := b.seq
	if e.ID == "" {
		e.ID = fmt.Sprintf("evt-%s-%d", b.boot, seq)
	}
	recorders := make([]*recorder, 0, len(b.recorders))
	for r := range b.recorders {
		r.push(seq, e)
		recorders = append(recorders, r)
	}
	for q := range b.queues {
		q.push(e)
	}
	for id, ch := range b.subs {
		select {
		case ch <- e:
		default:
			close(ch)
			delete(b.subs, id)
		}
	}
	b.mu.Unlock()
	// Waiting outside the lock lets other publishers join the batch being written.
	for _, r := range recorders {
		r.wait(seq)
	}
}

// Subscribe returns a channel of future events with room for buffer of them, and a function
// that ends the subscription. The channel is closed when the subscriber falls behind: events
// are lost from then on, so only remote clients, which can be told and re-read state, may use
// it. The daemon's own consumers use Follow or Record.
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
