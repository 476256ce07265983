package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// cloudManager is a manager whose provider is the SDK's test provider in cloud mode, with its
// state file; it releases holds with a 10 ms first backoff.
func cloudManager(t *testing.T, settings map[string]any) (*Manager, *fake.Provider, string) {
	t.Helper()
	m, _ := newStoreManager(t)
	state := filepath.Join(t.TempDir(), "cloud.json")
	p := configuredFake(t, state, settings)
	m.providers = oneProvider{p}
	m.env.Providers = m.providers
	m.cfg.BasePath, m.cfg.RetryBackoff, m.holdBackoff = t.TempDir(), time.Millisecond, 10*time.Millisecond
	return m, p, state
}

func configuredFake(t *testing.T, state string, settings map[string]any) *fake.Provider {
	t.Helper()
	all := map[string]any{"vm_count": 1, "cloud_state": state}
	for k, v := range settings {
		all[k] = v
	}
	cfg, err := provider.NewConfig(all)
	if err != nil {
		t.Fatal(err)
	}
	p := fake.New()
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return p
}

func submitOne(t *testing.T, m *Manager) string {
	t.Helper()
	accepted, err := m.Submit([]Spec{{VMIdentifier: "vm-001", Provider: "testprovider", ExportMethod: "raw"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	return accepted[0].ID
}

// waitJobFor polls the job until ok says it is as wanted, for at most 20 s.
func waitJobFor(t *testing.T, m *Manager, id, what string, ok func(Job) bool) Job {
	t.Helper()
	var j Job
	var err error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if j, err = m.Get(id); err == nil && ok(j) {
			return j
		}
	}
	t.Fatalf("job %s: waited in vain for %s; job = %s %q, holds %+v (%v)", id, what, j.Status, j.Error, j.Holds, err)
	return j
}

func cloudLeft(t *testing.T, path string) int {
	t.Helper()
	st, err := fake.ReadCloudState(path)
	if err != nil {
		t.Fatal(err)
	}
	return len(st.Snapshots) + len(st.Grants)
}

func allReleased(j Job) bool { return len(j.Holds) > 0 && !hasUnreleased(j.Holds) }

// A cloud export that succeeds deletes its snapshot and grant itself: both holds end released
// by the provider, with no release try of the host's.
func TestHoldsOfACompletedExportAreReleasedByTheProvider(t *testing.T) {
	t.Parallel()
	m, _, state := cloudManager(t, nil)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	j := waitJobFor(t, m, submitOne(t, m), "completed", func(j Job) bool { return j.Status.Terminal() })
	if j.Status != StatusCompleted || len(j.Holds) != 2 || !allReleased(j) {
		t.Fatalf("job = %s %q with holds %+v; want completed with 2 released", j.Status, j.Error, j.Holds)
	}
	for _, h := range j.Holds {
		if h.Attempts != 0 || h.ReleasedAt == nil || h.Provider != "testprovider" {
			t.Errorf("hold %+v: want released by the provider (no host attempt), with its time and provider", h)
		}
	}
	if n := cloudLeft(t, state); n != 0 {
		t.Errorf("%d resources left in the fake cloud", n)
	}
	waitCounts(t, m, map[string]map[string]int{})
}

// A cancelled cloud export leaves its snapshot and grant to the host, which releases them.
func TestHoldsOfACancelledExportAreReleasedByTheHost(t *testing.T) {
	t.Parallel()
	m, _, state := cloudManager(t, map[string]any{"chunk_delay": "20ms"})
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	id := submitOne(t, m)
	waitJobFor(t, m, id, "its holds and its download", func(j Job) bool { return len(j.Holds) == 2 && j.Progress.BytesDone > 0 })
	if n := cloudLeft(t, state); n != 2 {
		t.Fatalf("mid-export the fake cloud holds %d resources, want the snapshot and the grant", n)
	}
	if _, err := m.Cancel(id); err != nil {
		t.Fatal(err)
	}
	j := waitJobFor(t, m, id, "cancelled with its holds released", func(j Job) bool { return j.Status == StatusCancelled && allReleased(j) })
	for _, h := range j.Holds {
		if h.Attempts != 1 || h.LastError != "" {
			t.Errorf("hold %+v: want released by the host's first try", h)
		}
	}
	if n := cloudLeft(t, state); n != 0 {
		t.Errorf("%d resources left in the fake cloud after the cancel", n)
	}
}

// A release that fails is shown (state, attempts, error, counts), retried with backoff, keeps
// the job from retention, and goes through once the platform lets it.
func TestAFailingReleaseIsShownAndRetriedUntilItGoes(t *testing.T) {
	t.Parallel()
	m, p, state := cloudManager(t, map[string]any{"fail_release": true})
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	id := submitOne(t, m)
	j := waitJobFor(t, m, id, "a hold retried", func(j Job) bool {
		return j.Status.Terminal() && len(j.Holds) == 2 && j.Holds[0].Attempts >= 3 && j.Holds[1].Attempts >= 3
	})
	if j.Status != StatusCompleted {
		t.Fatalf("job = %s %q; a hold that cannot be released does not fail the export", j.Status, j.Error)
	}
	for _, h := range j.Holds {
		if h.State != HoldReleaseFailed || !strings.Contains(h.LastError, "fail_release") || h.ReleasedAt != nil {
			t.Errorf("hold %+v: want release_failed naming why", h)
		}
	}
	waitCounts(t, m, map[string]map[string]int{"testprovider": {"snapshot": 1, "grant": 1}})
	if n, err := m.Prune(context.Background(), 0); err != nil || n != 0 {
		t.Errorf("prune removed %d jobs (%v); a job with holds not released must stay", n, err)
	}
	if err := p.Configure(context.Background(), mustConfig(t, map[string]any{"vm_count": 1, "cloud_state": state})); err != nil {
		t.Fatal(err)
	}
	j = waitJobFor(t, m, id, "its holds released", allReleased)
	for _, h := range j.Holds {
		if h.LastError != "" || h.ReleasedAt == nil {
			t.Errorf("hold %+v: released, yet it keeps its last error", h)
		}
	}
	if n := cloudLeft(t, state); n != 0 {
		t.Errorf("%d resources left in the fake cloud", n)
	}
	waitCounts(t, m, map[string]map[string]int{})
}

func mustConfig(t *testing.T, settings map[string]any) provider.Config {
	t.Helper()
	cfg, err := provider.NewConfig(settings)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func waitCounts(t *testing.T, m *Manager, want map[string]map[string]int) {
	t.Helper()
	var got map[string]map[string]int
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if got = m.UnreleasedHolds(); fmt.Sprint(got) == fmt.Sprint(want) {
			return
		}
	}
	t.Errorf("unreleased holds = %v, want %v", got, want)
}

// A daemon killed mid-export left a job running with a snapshot and a grant: the next start
// keeps them for the job's retry, which may resume on them, and releases them when the job
// ends; what an ended job still held is released at start.
func TestStartReleasesWhatEndedJobsLeftAndKeepsTheRetrysUntilItEnds(t *testing.T) {
	t.Parallel()
	m, _, state := cloudManager(t, nil)
	m.cfg.MaxRetries = 2
	recorded := time.Now().UTC().Add(-time.Minute)
	held := func(kind, id string) Hold {
		return Hold{Hold: provider.Hold{Kind: kind, ID: id}, Provider: "testprovider", State: HoldHeld, RecordedAt: recorded}
	}
	writeCloud(t, state, []string{"snap-a", "snap-b"}, []string{"grant-a"})
	dir := filepath.Join(m.cfg.BasePath, "vm-001")
	storeJobs(t, m.store.(*store.Store),
		Job{ID: "job-crashed", Kind: KindExport, Status: StatusRunning, Stage: StageExporting, Attempts: 1, CreatedAt: recorded, ExportDir: dir,
			Spec:  Spec{VMIdentifier: "vm-001", Provider: "testprovider", ExportMethod: "raw"},
			Holds: []Hold{held("snapshot", "snap-a"), held("grant", "grant-a")}},
		Job{ID: "job-ended", Kind: KindExport, Status: StatusFailed, CreatedAt: recorded, FinishedAt: &recorded,
			Holds: []Hold{{Hold: provider.Hold{Kind: "snapshot", ID: "snap-b"}, Provider: "testprovider", State: HoldReleaseFailed, Attempts: 4, LastError: "earlier", RecordedAt: recorded}}},
	)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	j := waitJobFor(t, m, "job-crashed", "completed with every hold released", func(j Job) bool { return j.Status.Terminal() && allReleased(j) })
	if j.Status != StatusCompleted || j.Attempts != 2 || len(j.Failures) != 1 || len(j.Holds) != 4 {
		t.Fatalf("job = %s after %d attempts, failures %+v, holds %+v; want completed on its second attempt with the old holds and the new", j.Status, j.Attempts, j.Failures, j.Holds)
	}
	// The interrupted attempt's holds stayed for the retry (it may resume on them) and were
	// released by the host when the job ended, after the retry recorded its own.
	old, fresh := j.Holds[:2], j.Holds[2:]
	for _, o := range old {
		for _, f := range fresh {
			if o.Attempts != 1 || o.ReleasedAt == nil || !o.ReleasedAt.After(f.RecordedAt) {
				t.Errorf("old hold %+v was not kept until after the retry recorded %+v", o, f)
			}
		}
	}
	ended := waitJobFor(t, m, "job-ended", "its hold released", allReleased)
	if h := ended.Holds[0]; h.Attempts != 5 || h.LastError != "" {
		t.Errorf("ended job's hold = %+v, want released on its fifth attempt", h)
	}
	if n := cloudLeft(t, state); n != 0 {
		t.Errorf("%d resources left in the fake cloud", n)
	}
}

func writeCloud(t *testing.T, path string, snapshots, grants []string) {
	t.Helper()
	st := fake.CloudState{Snapshots: map[string]fake.CloudResource{}, Grants: map[string]fake.CloudResource{}}
	for _, id := range snapshots {
		st.Snapshots[id] = fake.CloudResource{VM: "vm-001"}
	}
	for _, id := range grants {
		st.Grants[id] = fake.CloudResource{VM: "vm-001"}
	}
	raw, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

// byName gives providers by name; a name it lacks is not configured.
type byName map[string]provider.Provider

func (b byName) Provider(name string) (provider.Provider, error) {
	if p, ok := b[name]; ok {
		return p, nil
	}
	return nil, fmt.Errorf("unknown provider %q", name)
}

// A hold whose provider cannot release it — not configured any more, or not a Releaser —
// fails once with a clear error and is not retried while the daemon runs.
func TestAHoldNoProviderCanReleaseFailsOnce(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, provider, want string
	}{
		{name: "provider gone", provider: "gone", want: `provider instance "gone" is not configured any more`},
		{name: "not a releaser", provider: "plain", want: `provider "plain" does not implement Release`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m, p, _ := cloudManager(t, nil)
			m.providers = byName{"testprovider": p, "plain": struct{ provider.Provider }{p}}
			m.env.Providers = m.providers
			now := time.Now().UTC()
			storeJobs(t, m.store.(*store.Store), Job{ID: "job-x", Kind: KindExport, Status: StatusCompleted, CreatedAt: now, FinishedAt: &now,
				Holds: []Hold{{Hold: provider.Hold{Kind: "snapshot", ID: "snap-x"}, Provider: c.provider, State: HoldHeld, RecordedAt: now}}})
			if err := m.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			j := waitJobFor(t, m, "job-x", "a failed release", func(j Job) bool { return j.Holds[0].State == HoldReleaseFailed })
			if !strings.Contains(j.Holds[0].LastError, c.want) {
				t.Errorf("last error = %q, want it to say %q", j.Holds[0].LastError, c.want)
			}
			time.Sleep(100 * time.Millisecond) // ten backoffs' worth: a retry would have come
			if j, _ = m.Get("job-x"); j.Holds[0].Attempts != 1 {
				t.Errorf("a release no retry can help was tried %d times", j.Holds[0].Attempts)
			}
			waitCounts(t, m, map[string]map[string]int{c.provider: {"snapshot": 1}})
		})
	}
}

// An export waits for a release of its job's holds in flight, and no release runs while it does.
func TestAnExportAndAReleaseOfOneJobNeverOverlap(t *testing.T) {
	t.Parallel()
	m, _ := newStoreManager(t)
	if !m.beginRelease("job-1") {
		t.Fatal("a job with nothing running could not begin a release")
	}
	started := make(chan error, 1)
	go func() { started <- m.ExportStarting(context.Background(), "job-1") }()
	select {
	case err := <-started:
		t.Fatalf("the export started during a release (%v)", err)
	case <-time.After(50 * time.Millisecond):
	}
	if !m.beginRelease("job-2") {
		t.Error("another job's release had to wait")
	}
	m.endRelease("job-1")
	if err := <-started; err != nil {
		t.Fatal(err)
	}
	if m.beginRelease("job-1") {
		t.Error("a release began while the job's export ran")
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("cancelled by request"))
	m.endRelease("job-2")
	if !m.beginRelease("job-2") {
		t.Fatal("job-2 could not begin a release again")
	}
	if err := m.ExportStarting(ctx, "job-2"); err == nil || err.Error() != "cancelled by request" {
		t.Errorf("a cancelled export waiting for a release returned %v, want its cause", err)
	}
}
