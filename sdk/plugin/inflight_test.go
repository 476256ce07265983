package plugin

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestDrainCancelsCallsAndWaitsForThemToUnwind(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		calls    int
		unwind   time.Duration // what each call still does after its context is cancelled
		timeout  time.Duration
		wantDone bool
	}{
		{name: "idle", timeout: time.Second, wantDone: true},
		{name: "calls that clean up", calls: 3, unwind: 50 * time.Millisecond, timeout: 10 * time.Second, wantDone: true},
		{name: "a call slower than the bound", calls: 1, unwind: 5 * time.Second, timeout: 50 * time.Millisecond, wantDone: false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newInflight()
			var cleaned atomic.Int32
			started := make(chan struct{}, c.calls)
			for range c.calls {
				go func() {
					ctx, end := f.begin(context.Background())
					defer end()
					started <- struct{}{}
					<-ctx.Done() // drain cancels it
					time.Sleep(c.unwind)
					cleaned.Add(1)
				}()
			}
			for range c.calls {
				<-started
			}
			if got := f.drain(c.timeout); got != c.wantDone {
				t.Fatalf("drain = %v, want %v", got, c.wantDone)
			}
			if c.wantDone && int(cleaned.Load()) != c.calls {
				t.Fatalf("drain returned with %d of %d calls cleaned up", cleaned.Load(), c.calls)
			}
		})
	}
}
