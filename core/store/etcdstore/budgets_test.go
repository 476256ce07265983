package etcdstore_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/store/etcdstore/etcdtest"
)

// A source's budget holds across nodes: with a budget of 2, six exports asked for on two nodes
// never run more than two at once, and all run; a source without a budget is not waited for.
func TestBudgetBoundsASourceAcrossNodes(t *testing.T) {
	t.Parallel()
	endpoint := etcdtest.Start(t)
	limits := map[string]int{"vcenter-1": 2}
	a := join(t, openStore(t, endpoint, "/budgets/"), "node-a", 5*time.Second).Budgets(limits)
	b := join(t, openStore(t, endpoint, "/budgets/"), "node-b", 5*time.Second).Budgets(limits)
	var running, peak atomic.Int32
	var wg sync.WaitGroup
	for i := range 6 {
		budgets := a
		if i%2 == 1 {
			budgets = b
		}
		wg.Go(func() {
			release, err := budgets.Acquire(t.Context(), "vcenter-1", fmt.Sprint("job-", i))
			if err != nil {
				t.Error(err)
				return
			}
			n := running.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(100 * time.Millisecond)
			running.Add(-1)
			release()
		})
	}
	wg.Wait()
	if p := peak.Load(); p != 2 {
		t.Errorf("at most %d exports ran at once, want 2", p)
	}
	release, err := a.Acquire(t.Context(), "aws-eu", "job-x")
	if err != nil {
		t.Fatal(err)
	}
	release()
}

// The slots a dead node held are freed when its lease expires.
func TestBudgetSlotsOfADeadNodeAreFreed(t *testing.T) {
	t.Parallel()
	endpoint := etcdtest.Start(t)
	limits := map[string]int{"vcenter-1": 1}
	dead := join(t, openStore(t, endpoint, "/budgets-dead/"), "node-a", 2*time.Second)
	if _, err := dead.Budgets(limits).Acquire(t.Context(), "vcenter-1", "job-1"); err != nil {
		t.Fatal(err)
	}
	dead.Abandon()
	b := join(t, openStore(t, endpoint, "/budgets-dead/"), "node-b", 2*time.Second).Budgets(limits)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	release, err := b.Acquire(ctx, "vcenter-1", "job-2")
	if err != nil {
		t.Fatalf("the dead node's slot never came free: %v", err)
	}
	release()
}
