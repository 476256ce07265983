package plugin

import (
	"context"
	"sync"
	"time"
)

// inflight tracks the calls a plugin is serving, so that when the plugin must go (its host
// died, or it was sent SIGTERM) each call is cancelled and unwinds before the process exits: a
// provider's deferred clean-up — powering a VM back on, deleting a snapshot — runs on the way
// out instead of being cut off by os.Exit.
type inflight struct {
	mu       sync.Mutex
	n        int
	idle     chan struct{} // closed while n == 0
	stopping context.Context
	stop     context.CancelFunc
}

func newInflight() *inflight {
	f := &inflight{idle: make(chan struct{})}
	close(f.idle)
	f.stopping, f.stop = context.WithCancel(context.Background())
	return f
}

// begin registers a call; its context is cancelled when the plugin starts to stop. Call end
// once the call has returned.
func (f *inflight) begin(ctx context.Context) (context.Context, func()) {
	f.mu.Lock()
	if f.n == 0 {
		f.idle = make(chan struct{})
	}
	f.n++
	f.mu.Unlock()
	ctx, cancel := context.WithCancel(ctx)
	unhook := context.AfterFunc(f.stopping, cancel)
	return ctx, func() {
		unhook()
		cancel()
		f.mu.Lock()
		if f.n--; f.n == 0 {
			close(f.idle)
		}
		f.mu.Unlock()
	}
}

// drain cancels every call in flight and waits up to d for all of them to return. It reports
// whether they did.
func (f *inflight) drain(d time.Duration) bool {
	f.stop()
	f.mu.Lock()
	idle := f.idle
	f.mu.Unlock()
	select {
	case <-idle:
		return true
	case <-time.After(d):
		return false
	}
}
