package jobs

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/core/store/etcdstore"
	"github.com/hypersdk/hypersdk/core/store/etcdstore/etcdtest"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// stallsAfterHolding is a node's provider that records a hold (a VM powered off) and then
// stalls, as a node that hangs or is cut off mid-export, until unstall is closed.
// Its first export stalls; later ones run at once. A stalled export that has its context
// cancelled returns at once.
type stallsAfterHolding struct {
	provider.Provider
	held    chan struct{}
	unstall chan struct{}
	once    sync.Once
}

func newStalling(p provider.Provider) *stallsAfterHolding {
	return &stallsAfterHolding{Provider: p, held: make(chan struct{}), unstall: make(chan struct{})}
}

func (p *stallsAfterHolding) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	first := false
	p.once.Do(func() { first = true })
	if !first {
		return p.Provider.ExportVM(ctx, spec, r)
	}
	if err := r.Hold(ctx, provider.Hold{Kind: provider.HoldPower, ID: "vm-001"}); err != nil {
		return provider.ExportResult{}, err
	}
	close(p.held)
	select {
	case <-p.unstall:
	case <-ctx.Done():
		return provider.ExportResult{}, context.Cause(ctx)
	}
	return p.Provider.ExportVM(ctx, spec, r)
}

// Release lets the power hold go (the fake cloud knows no powered-off VMs).
func (p *stallsAfterHolding) Release(ctx context.Context, h provider.Hold) error {
	if h.Kind == provider.HoldPower {
		return nil
	}
	return p.Provider.(provider.Releaser).Release(ctx, h)
}

// clusterNode is a manager of one node on a shared etcd store, its export directory shared
// with the other nodes (as NFS would be).
func clusterNode(t *testing.T, endpoint, id, basePath string, p provider.Provider) (*Manager, *etcdstore.Node) {
	t.Helper()
	s, err := etcdstore.Open(t.Context(), etcdstore.Config{Endpoints: []string{endpoint}, Prefix: "/cluster-test/"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	node, err := etcdstore.Join(t.Context(), s, store.Node{ID: id}, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Close() })
	m := NewManager(Config{Workers: 1, ConcurrentExports: 1, MaxRetries: 2, BasePath: basePath, RetryBackoff: time.Millisecond, Cluster: node},
		s, events.NewBus(), oneProvider{p}, KVMConfig{}, hclog.NewNullLogger().Named(id))
	m.holdBackoff = 10 * time.Millisecond
	return m, node
}

// A node that dies mid-export keeps its claim until its lease expires; then another node takes
// the job over — the interrupted attempt recorded, the dead node's hold kept for the retry —
// and completes it, releasing the hold once. The dead node, woken late, cannot overwrite the
// job: its writes carry the old claim's token and are refused.
func TestDeadNodesJobIsResumedByAnotherNode(t *testing.T) {
	t.Parallel()
	endpoint := etcdtest.Start(t)
	basePath := t.TempDir()
	state := filepath.Join(t.TempDir(), "cloud.json")
	stalled := newStalling(configuredFake(t, state, nil))
	survivor := &failsOnceAfterHolding{Provider: configuredFake(t, state, nil), exports: 1} // records releases
	a, nodeA := clusterNode(t, endpoint, "node-a", basePath, stalled)
	if err := a.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	id := submitOne(t, a)
	select {
	case <-stalled.held:
	case <-time.After(20 * time.Second):
		t.Fatal("node-a never started the export")
	}
	if j, _ := a.Get(id); j.Node != "node-a" || j.Status != StatusRunning {
		t.Fatalf("job on node-a = %s on %q", j.Status, j.Node)
	}

	nodeA.Abandon() // node-a stops answering: its lease runs out in 2 s
	b, _ := clusterNode(t, endpoint, "node-b", basePath, survivor)
	if err := b.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	j := waitJobFor(t, b, id, "completed on node-b with its hold released", func(j Job) bool { return j.Status.Terminal() && allReleased(j) })
	if j.Status != StatusCompleted || j.Node != "node-b" || j.Attempts != 2 {
		t.Fatalf("job = %s on %q after %d attempts (%q); want completed by node-b on the second", j.Status, j.Node, j.Attempts, j.Error)
	}
	if len(j.Failures) != 1 || !strings.Contains(j.Failures[0].Error, "interrupted") {
		t.Errorf("failures = %+v, want node-a's attempt recorded as interrupted", j.Failures)
	}
	survivor.mu.Lock()
	released := fmt.Sprint(survivor.released)
	survivor.mu.Unlock()
	if released != "[power/vm-001 after export 2]" {
		t.Errorf("releases by node-b: %s; want node-a's power hold released once, when the job ended", released)
	}

	// node-a wakes up and finishes its export: every write it tries is fenced.
	close(stalled.unstall)
	waitFor(t, "node-a's run to stop", func() bool { return a.liveRun(id) == nil })
	after, err := b.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != StatusCompleted || after.Node != "node-b" || after.Attempts != 2 || len(after.Failures) != 1 {
		t.Errorf("after node-a woke: %s on %q, %d attempts, %d failures; want node-b's record untouched", after.Status, after.Node, after.Attempts, len(after.Failures))
	}
}

// A node cut off from etcd past its lease TTL stops the jobs it runs as soon as it learns its
// lease ended, before it could write again; back in touch, it joins under a new lease and
// resumes the job like any node would (the interrupted attempt recorded).
func TestNodeWhoseLeaseEndedStopsItsJobs(t *testing.T) {
	t.Parallel()
	endpoint := etcdtest.Start(t)
	stalled := newStalling(configuredFake(t, filepath.Join(t.TempDir(), "cloud.json"), nil))
	m, node := clusterNode(t, endpoint, "node-a", t.TempDir(), stalled)
	if err := m.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	id := submitOne(t, m)
	select {
	case <-stalled.held:
	case <-time.After(20 * time.Second):
		t.Fatal("the export never started")
	}
	token := m.claimToken(id)
	// The lease ends as it does behind a partition: etcd drops it and every claim under it.
	s := m.store.(*etcdstore.Store)
	if _, err := s.Client().Revoke(t.Context(), node.Lease()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the run under the lost claim to stop", func() bool { return m.claimToken(id) != token })
	j := waitJobFor(t, m, id, "completed under a new claim", func(j Job) bool { return j.Status.Terminal() && allReleased(j) })
	if j.Status != StatusCompleted || j.Attempts != 2 || len(j.Failures) != 1 || !strings.Contains(j.Failures[0].Error, "interrupted") {
		t.Errorf("job = %s after %d attempts, failures %+v; want completed on the second, the first recorded as interrupted", j.Status, j.Attempts, j.Failures)
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("waited in vain for %s", what)
}

// A schedule's slot fired on two nodes (the first died before recording it) yields one job:
// both calls get its id, one says it accepted it.
func TestSubmitOnceAcceptsAKeyOnceAcrossNodes(t *testing.T) {
	t.Parallel()
	endpoint := etcdtest.Start(t)
	state := filepath.Join(t.TempDir(), "cloud.json")
	a, _ := clusterNode(t, endpoint, "node-a", t.TempDir(), configuredFake(t, state, nil))
	b, _ := clusterNode(t, endpoint, "node-b", t.TempDir(), configuredFake(t, state, nil))
	type result struct {
		job      Job
		accepted bool
		err      error
	}
	results := make(chan result, 2)
	for i, m := range []*Manager{a, b} {
		go func() {
			spec := Spec{VMIdentifier: "vm-001", Provider: "testprovider", ExportMethod: "raw", ExportPath: fmt.Sprint("nightly/run-", i)}
			j, accepted, err := m.SubmitOnce(spec, "sched-1", "sched-1@2026-11-25T02:00:00Z")
			results <- result{j, accepted, err}
		}()
	}
	first, second := <-results, <-results
	if first.err != nil || second.err != nil {
		t.Fatal(first.err, second.err)
	}
	if first.job.ID != second.job.ID || first.accepted == second.accepted {
		t.Errorf("SubmitOnce twice = %s (accepted %v) and %s (accepted %v); want one job, accepted once", first.job.ID, first.accepted, second.job.ID, second.accepted)
	}
	if _, total, err := a.List(ListOptions{}); err != nil || total != 1 {
		t.Errorf("jobs stored = %d, %v; want 1", total, err)
	}
	if j, accepted, err := a.SubmitOnce(Spec{VMIdentifier: "vm-001", Provider: "testprovider", ExportMethod: "raw"}, "sched-1", "sched-1@2026-11-26T02:00:00Z"); err != nil || !accepted || j.ID == first.job.ID {
		t.Errorf("the next slot = %s accepted %v (%v); want a new job", j.ID, accepted, err)
	}
}

// A node cut off from etcd (its client's connections blocked) while it runs a job stops the
// job once its lease is gone, without another write; the other node resumes and completes it,
// and when the partition heals the cut-off node leaves the record as the other node wrote it.
func TestPartitionedNodeStopsWritingOnceItsLeaseIsGone(t *testing.T) {
	t.Parallel()
	endpoint := etcdtest.Start(t)
	proxy := etcdtest.StartProxy(t, endpoint)
	basePath := t.TempDir()
	state := filepath.Join(t.TempDir(), "cloud.json")
	stalled := newStalling(configuredFake(t, state, nil))
	survivor := &failsOnceAfterHolding{Provider: configuredFake(t, state, nil), exports: 1}
	a, _ := clusterNode(t, proxy.URL, "node-a", basePath, stalled)
	if err := a.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	id := submitOne(t, a)
	select {
	case <-stalled.held:
	case <-time.After(20 * time.Second):
		t.Fatal("node-a never started the export")
	}
	b, _ := clusterNode(t, endpoint, "node-b", basePath, survivor)
	if err := b.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	proxy.Block()
	waitFor(t, "node-a to stop its run once its lease is gone", func() bool { return a.liveRun(id) == nil })
	j := waitJobFor(t, b, id, "completed on node-b", func(j Job) bool { return j.Status.Terminal() && allReleased(j) })
	if j.Status != StatusCompleted || j.Node != "node-b" || j.Attempts != 2 {
		t.Fatalf("job = %s on %q after %d attempts (%q); want completed by node-b on the second", j.Status, j.Node, j.Attempts, j.Error)
	}
	proxy.Unblock()
	time.Sleep(2 * time.Second) // node-a reconnects, joins again, sweeps
	after, err := b.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	if after.Status != StatusCompleted || after.Node != "node-b" || after.Attempts != 2 || len(after.Failures) != 1 {
		t.Errorf("after the partition healed: %s on %q, %d attempts, %d failures; want node-b's record untouched", after.Status, after.Node, after.Attempts, len(after.Failures))
	}
}
