package events

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// ErrClosed is what Next returns once the queue was closed.
var ErrClosed = errors.New("event queue closed")

// Queue is a lossless, ordered subscription for one of the daemon's own consumers. It grows as
// far as the consumer falls behind; filter it to the types the consumer needs so that stays small.
type Queue struct {
	bus   *Bus
	types []string

	mu     sync.Mutex
	items  []Event
	ready  chan struct{} // a token wakes a waiting Next; spurious tokens only cost a loop
	closed chan struct{}
	once   sync.Once
}

// Follow returns a queue of every future event of the given types (all types when none are
// given). Close it when done.
func (b *Bus) Follow(types ...string) *Queue {
	q := &Queue{bus: b, types: types, ready: make(chan struct{}, 1), closed: make(chan struct{})}
	b.mu.Lock()
	b.queues[q] = struct{}{}
	b.mu.Unlock()
	return q
}

func (q *Queue) push(e Event) {
	if len(q.types) > 0 && !slices.Contains(q.types, e.Type) {
		return
	}
	q.mu.Lock()
	q.items = append(q.items, e)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Next returns the oldest event not yet returned, waiting for one if there is none. It fails
// only when ctx ends or the queue is closed.
func (q *Queue) Next(ctx context.Context) (Event, error) {
	for {
		select {
		case <-q.closed:
			return Event{}, ErrClosed
		default:
		}
		q.mu.Lock()
		if len(q.items) > 0 {
			e := q.items[0]
			q.items[0] = Event{} // let the backing array forget it
			q.items = q.items[1:]
			if len(q.items) == 0 {
				q.items = nil
			}
			q.mu.Unlock()
			return e, nil
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return Event{}, ctx.Err()
		case <-q.closed:
			return Event{}, ErrClosed
		case <-q.ready:
		}
	}
}

// Len is how many events wait in the queue.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// Close ends the subscription; events still queued are discarded. Calling it again does nothing.
func (q *Queue) Close() {
	q.once.Do(func() {
		q.bus.mu.Lock()
		delete(q.bus.queues, q)
		q.bus.mu.Unlock()
		close(q.closed)
		q.mu.Lock()
		q.items = nil
		q.mu.Unlock()
	})
}
