package scheduler

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/store"
)

// jobTable is a Jobs whose jobs the test sets.
type jobTable struct {
	fakeJobs
	mu   sync.Mutex
	jobs map[string]jobs.Job
}

func (t *jobTable) Get(id string) (jobs.Job, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if j, ok := t.jobs[id]; ok {
		return j, nil
	}
	return jobs.Job{}, jobs.ErrNotFound
}

func (t *jobTable) set(id string, s jobs.Status) {
	t.mu.Lock()
	defer t.mu.Unlock()
	j := t.jobs[id]
	j.Status = s
	t.jobs[id] = j
}

// newWatchedPolicy stores a policy with one running backup per job id and returns a scheduler
// (not started) whose jobs are those, running.
func newWatchedPolicy(t *testing.T, jobIDs ...string) (*Scheduler, *jobTable, *events.Bus, string) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bus := events.NewBus()
	table := &jobTable{jobs: map[string]jobs.Job{}}
	s := New(st, table, noProviders{}, bus, t.TempDir(), "", &fakeClock{now: time.Now()}, hclog.NewNullLogger())
	p := Policy{ID: "policy-w", Name: "w", Schedule: "@daily", CreatedAt: time.Now()}
	for _, id := range jobIDs {
		table.jobs[id] = jobs.Job{ID: id, Status: jobs.StatusRunning, ScheduleID: policyPrefix + p.ID}
		p.Backups = append(p.Backups, Backup{JobID: id, VM: "vm-" + id, CreatedAt: time.Now(), Status: string(jobs.StatusRunning)})
	}
	if err := s.put(store.Policies, p.ID, p); err != nil {
		t.Fatal(err)
	}
	return s, table, bus, p.ID
}

// waitStatuses waits until the policy's backups carry the wanted statuses.
func waitStatuses(t *testing.T, s *Scheduler, policyID string, want map[string]jobs.Status) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var got map[string]string
	for time.Now().Before(deadline) {
		p, err := s.GetPolicy(policyID)
		if err != nil {
			t.Fatal(err)
		}
		got = map[string]string{}
		done := true
		for _, b := range p.Backups {
			got[b.JobID] = b.Status
		}
		for id, st := range want {
			done = done && got[id] == string(st)
		}
		if done {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("backup statuses %v, want %v", got, want)
}

// The watcher is stuck (retention holds the scheduler's lock) while 10,000 events go by; the
// job ends among them, the last ones included, are all recorded once it can go on.
func TestWatcherMissesNoJobEndUnderABurst(t *testing.T) {
	t.Parallel()
	s, table, bus, policyID := newWatchedPolicy(t, "job-a", "job-b", "job-c")
	s.Start(context.Background())
	defer s.Close()

	s.mu.Lock() // a slow retention run
	table.set("job-a", jobs.StatusCompleted)
	bus.Publish(events.Event{Type: events.JobCompleted, JobID: "job-a"})
	for i := 0; i < 10_000; i++ {
		bus.Publish(events.Event{Type: events.JobProgress, JobID: "job-other", Progress: float64(i)})
	}
	table.set("job-b", jobs.StatusFailed)
	bus.Publish(events.Event{Type: events.JobFailed, JobID: "job-b"})
	table.set("job-c", jobs.StatusCancelled)
	bus.Publish(events.Event{Type: events.JobCancelled, JobID: "job-c"})
	s.mu.Unlock()

	waitStatuses(t, s, policyID, map[string]jobs.Status{"job-a": jobs.StatusCompleted, "job-b": jobs.StatusFailed, "job-c": jobs.StatusCancelled})
}

// A job that ended while no watcher ran (the daemon stopped before handling its event) is
// recorded when the scheduler starts, with no event at all.
func TestWatcherCatchesUpWithJobsThatEndedWhileStopped(t *testing.T) {
	t.Parallel()
	s, table, _, policyID := newWatchedPolicy(t, "job-done", "job-still-running")
	table.set("job-done", jobs.StatusCompleted)
	s.Start(context.Background())
	defer s.Close()
	waitStatuses(t, s, policyID, map[string]jobs.Status{"job-done": jobs.StatusCompleted, "job-still-running": jobs.StatusRunning})
}
