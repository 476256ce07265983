package events

import "sync"

// recorder runs one Record function on its own goroutine, a batch at a time.
type recorder struct {
	fn func([]Event)

	mu      sync.Mutex
	cond    *sync.Cond // signalled when pending grows, done advances or stopping starts
	pending []Event
	last    uint64 // sequence number of the newest pending event
	done    uint64 // sequence number of the newest event fn has returned for
	stopped bool
	exited  chan struct{}
}

// Record registers fn as a durable recorder: it is called with every future event, in order,
// in batches (whatever was published while the previous batch was being handled), and Publish
// returns only after fn has returned for the batch holding its event. fn handles its own
// errors and must not call Publish. The returned function stops recording after fn has handled
// every event already published; calling it again does nothing.
func (b *Bus) Record(fn func([]Event)) (stop func()) {
	r := &recorder{fn: fn, exited: make(chan struct{})}
	r.cond = sync.NewCond(&r.mu)
	b.mu.Lock()
	b.recorders[r] = struct{}{}
	b.mu.Unlock()
	go r.run()
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			delete(b.recorders, r)
			b.mu.Unlock()
			r.mu.Lock()
			r.stopped = true
			r.cond.Broadcast()
			r.mu.Unlock()
			<-r.exited
		})
	}
}

// push is called by Publish under the bus lock, so events arrive in sequence order.
func (r *recorder) push(seq uint64, e Event) {
	r.mu.Lock()
	r.pending = append(r.pending, e)
	r.last = seq
	r.cond.Broadcast()
	r.mu.Unlock()
}

// wait returns once fn has handled the event numbered seq.
func (r *recorder) wait(seq uint64) {
	r.mu.Lock()
	for r.done < seq {
		r.cond.Wait()
	}
	r.mu.Unlock()
}

func (r *recorder) run() {
	defer close(r.exited)
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		for len(r.pending) == 0 && !r.stopped {
			r.cond.Wait()
		}
		if len(r.pending) == 0 { // stopped, and everything published before is handled
			return
		}
		batch, upto := r.pending, r.last
		r.pending = nil
		r.mu.Unlock()
		r.fn(batch)
		r.mu.Lock()
		r.done = upto
		r.cond.Broadcast()
	}
}
