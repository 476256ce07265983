package etcdstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/store/etcdstore/etcdtest"
)

// leadLog records who leads a duty and checks two nodes never lead at once.
type leadLog struct {
	mu      sync.Mutex
	leading map[string]bool
	leaders []string
	overlap bool
}

func (l *leadLog) run(id string) func(ctx context.Context) {
	return func(ctx context.Context) {
		l.mu.Lock()
		for other, on := range l.leading {
			if on && other != id {
				l.overlap = true
			}
		}
		l.leading[id] = true
		l.leaders = append(l.leaders, id)
		l.mu.Unlock()
		<-ctx.Done()
		l.mu.Lock()
		l.leading[id] = false
		l.mu.Unlock()
	}
}

func (l *leadLog) current() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.leaders...)
}

// One node leads a duty at a time; when the leader dies the other leads once its lease expires.
func TestElectionHasOneLeaderAndFailsOver(t *testing.T) {
	t.Parallel()
	endpoint := etcdtest.Start(t)
	const ttl = 2 * time.Second
	a := join(t, openStore(t, endpoint, "/elect/"), "node-a", ttl)
	log := &leadLog{leading: map[string]bool{}}
	go a.Lead(t.Context(), "scheduler", log.run("node-a"))
	waitUntil(t, "node-a leads", func() bool { return len(log.current()) == 1 })
	b := join(t, openStore(t, endpoint, "/elect/"), "node-b", ttl)
	go b.Lead(t.Context(), "scheduler", log.run("node-b"))
	time.Sleep(500 * time.Millisecond)
	if got := log.current(); len(got) != 1 {
		t.Fatalf("leaders = %v while node-a lives, want node-a alone", got)
	}
	a.Abandon() // killed
	waitUntil(t, "node-b leads after node-a died", func() bool { return len(log.current()) == 2 })
	if got := log.current(); got[1] != "node-b" {
		t.Errorf("leaders = %v", got)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if log.overlap {
		t.Error("two nodes led at once")
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("waited in vain for %s", what)
}
