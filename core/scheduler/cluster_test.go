package scheduler

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/core/store/etcdstore"
	"github.com/hypersdk/hypersdk/core/store/etcdstore/etcdtest"
	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
	"github.com/hypersdk/hypersdk/sdk/provider"
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

// keyedJobs accepts one job per key, as jobs.Manager.SubmitOnce does on the shared store.
type keyedJobs struct {
	fakeJobs
	keys map[string]string // key -> job id
}

func (k *keyedJobs) SubmitOnce(spec jobs.Spec, scheduleID, key string) (jobs.Job, bool, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if id, ok := k.keys[key]; ok {
		return jobs.Job{ID: id, ScheduleID: scheduleID}, false, nil
	}
	k.submitted = append(k.submitted, spec)
	k.keys[key] = fmt.Sprintf("job-%d", len(k.submitted))
	return jobs.Job{ID: k.keys[key], ScheduleID: scheduleID}, true, nil
}

// In a cluster a due slot is submitted under a key of the schedule and the slot: firing the
// same slot again (from the node elected after the firing one died) gets the first run back;
// the next slot, and a run on request, are new runs.
func TestClusterSlotFiredAgainIsTheSameRun(t *testing.T) {
	t.Parallel()
	endpoint := etcdtest.Start(t)
	clock := &fakeClock{now: time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)}
	s, _, _ := clusterScheduler(t, endpoint, "node-a", clock)
	kj := &keyedJobs{keys: map[string]string{}}
	s.jobs = kj
	sc, err := s.CreateSchedule(Schedule{Name: "nightly", Cron: "0 2 * * *", JobDefinition: jobs.Spec{VMIdentifier: "vm-1", Provider: "p"}})
	if err != nil {
		t.Fatal(err)
	}
	slot := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	next := slot.Add(24 * time.Hour)
	cases := []struct {
		name string
		slot *time.Time
		want string
	}{
		{"slot fired", &slot, "job-1"},
		{"same slot fired again", &slot, "job-1"},
		{"next slot", &next, "job-2"},
		{"run on request", nil, "job-3"},
	}
	for _, c := range cases {
		id, err := s.fireSchedule(sc.ID, clock.Now(), c.slot)
		if err != nil || id != c.want {
			t.Errorf("%s: = %s, %v; want %s", c.name, id, err, c.want)
		}
	}
}

// In a cluster a backup policy's due slot fired again (the firing node died before recording
// it) gets the same backups back and records each once; a run on request backs up anew.
func TestClusterPolicySlotFiredAgainIsTheSameBackups(t *testing.T) {
	t.Parallel()
	endpoint := etcdtest.Start(t)
	clock := &fakeClock{now: time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)}
	s, _, _ := clusterScheduler(t, endpoint, "node-a", clock)
	prov := fake.New()
	if err := prov.Configure(context.Background(), provider.Config{}); err != nil {
		t.Fatal(err)
	}
	s.providers, s.defaultProvider = oneProvider{"tp", prov}, "tp"
	kj := &keyedJobs{keys: map[string]string{}}
	s.jobs = kj
	p, err := s.CreatePolicy(Policy{Name: "all", Schedule: "@daily"})
	if err != nil {
		t.Fatal(err)
	}
	slot := time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)
	first, err := s.firePolicy(t.Context(), p.ID, clock.Now(), &slot)
	if err != nil || len(first) == 0 {
		t.Fatalf("first firing = %v, %v", first, err)
	}
	again, err := s.firePolicy(t.Context(), p.ID, clock.Now(), &slot)
	if err != nil || fmt.Sprint(again) != fmt.Sprint(first) {
		t.Errorf("slot fired again = %v, %v; want the same jobs %v", again, err, first)
	}
	got, _ := s.GetPolicy(p.ID)
	if len(got.Backups) != len(first) {
		t.Errorf("%d backups recorded for %d jobs", len(got.Backups), len(first))
	}
	manual, err := s.firePolicy(t.Context(), p.ID, clock.Now(), nil)
	if err != nil || len(manual) != len(first) || manual[0] == first[0] {
		t.Errorf("run on request = %v, %v; want new jobs", manual, err)
	}
}
