package scheduler

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/core/store/etcdstore"
	"github.com/hypersdk/hypersdk/core/store/etcdstore/etcdtest"
)

// clusterScheduler is one node's scheduler on a shared etcd store, firing while elected.
func clusterScheduler(t *testing.T, endpoint, id string, clock *fakeClock) (*Scheduler, *fakeJobs, *etcdstore.Node) {
	t.Helper()
	s, err := etcdstore.Open(t.Context(), etcdstore.Config{Endpoints: []string{endpoint}, Prefix: "/sched/"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	node, err := etcdstore.Join(t.Context(), s, store.Node{ID: id}, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Close() })
	fj := &fakeJobs{}
	sc := New(s, fj, noProviders{}, events.NewBus(), t.TempDir(), "", clock, hclog.NewNullLogger())
	sc.LeadWith(node)
	return sc, fj, node
}

// Two nodes' schedulers share the schedules: a slot fires once, on the elected node; when that
// node dies the other is elected and fires the next slot, once.
func TestClusterFiresEachSlotOnce(t *testing.T) {
	t.Parallel()
	endpoint := etcdtest.Start(t)
	clock := &fakeClock{now: time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)}
	a, fa, nodeA := clusterScheduler(t, endpoint, "node-a", clock)
	b, fb, nodeB := clusterScheduler(t, endpoint, "node-b", clock)
	if _, err := b.CreateSchedule(Schedule{Name: "nightly", Cron: "0 2 * * *", JobDefinition: jobs.Spec{VMIdentifier: "vm-1", Provider: "p"}}); err != nil {
		t.Fatal(err)
	}
	a.Start(context.Background())
	defer a.Close()
	b.Start(context.Background())
	defer b.Close()
	total := func() int { return fa.count() + fb.count() }
	advanceUntil := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); total() < want && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			clock.Advance(time.Second) // wakes the elected loop, which reads the schedules again
		}
		time.Sleep(200 * time.Millisecond)
		if got := total(); got != want {
			t.Fatalf("%d runs in all (node-a %d, node-b %d), want %d", got, fa.count(), fb.count(), want)
		}
	}
	clock.Advance(61 * time.Minute)
	advanceUntil(1)

	leader, other, otherJobs := nodeA, nodeB, fb
	if fb.count() == 1 {
		leader, other, otherJobs = nodeB, nodeA, fa
	}
	leader.Abandon() // the firing node dies
	// Its loop learns so from its session's end, asynchronously: the dead node must not be
	// woken by the clock before that (a real dead node has no clock).
	time.Sleep(time.Second)
	clock.Advance(24 * time.Hour)
	advanceUntil(2)
	if otherJobs.count() != 1 {
		t.Errorf("the next slot fired on %s? node-a %d runs, node-b %d", other.NodeID(), fa.count(), fb.count())
	}
}
