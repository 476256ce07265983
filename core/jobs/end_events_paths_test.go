package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/core/store/etcdstore"
	"github.com/hypersdk/hypersdk/core/store/etcdstore/etcdtest"
)

// endOrderStore checks, at each write that ends a job, that the job's end event was noted
// first (end_events.go): a daemon killed right after that write sends the event later
// instead of never.
type endOrderStore struct {
	store.Backend
	mu      sync.Mutex
	ended   []string // jobs a write ended
	unnoted []string // of those, the ones whose end event was not noted before
}

func (s *endOrderStore) PutJob(ctx context.Context, w store.JobWrite) error {
	return s.watch(ctx, w.Entry.ID, func() error { return s.Backend.PutJob(ctx, w) })
}

func (s *endOrderStore) UpdateJob(ctx context.Context, id string, change func([]byte) (store.JobWrite, error)) error {
	return s.watch(ctx, id, func() error { return s.Backend.UpdateJob(ctx, id, change) })
}

func (s *endOrderStore) watch(ctx context.Context, id string, write func() error) error {
	_, noteErr := s.Backend.GetRecord(ctx, store.EndEvents, id)
	before := s.status(ctx, id)
	if err := write(); err != nil {
		return err
	}
	if !before.Terminal() && s.status(ctx, id).Terminal() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.ended = append(s.ended, id)
		if noteErr != nil {
			s.unnoted = append(s.unnoted, id)
		}
	}
	return nil
}

func (s *endOrderStore) status(ctx context.Context, id string) Status {
	raw, err := s.Backend.GetJob(ctx, id)
	if err != nil {
		return ""
	}
	j, err := decodeJob(id, raw)
	if err != nil {
		return ""
	}
	return j.Status
}

// endEventsOf records the end events published on bus.
func endEventsOf(t *testing.T, bus *events.Bus) func() []string {
	var mu sync.Mutex
	var got []string
	t.Cleanup(bus.Record(func(batch []events.Event) {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range batch {
			if e.Type == events.JobCompleted || e.Type == events.JobFailed || e.Type == events.JobCancelled {
				got = append(got, e.JobID+" "+e.Type)
			}
		}
	}))
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}

// Every way a job ends on one daemon notes its end event before storing the end, and clears
// the note once the event is out: its own end, a start that finds it interrupted with no
// attempt left, a cancel while it waits.
func TestEveryEndIsNotedBeforeItIsStored(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		job    Job
		end    func(t *testing.T, m *Manager, id string)
		status Status
		event  string
	}{
		{"its own end", Job{Status: StatusRunning, Attempts: 1}, func(t *testing.T, m *Manager, id string) {
			m.finish(id, StatusFailed, "export failed", nil)
		}, StatusFailed, events.JobFailed},
		{"interrupted with no attempt left", Job{Status: StatusRunning, Attempts: 1}, func(t *testing.T, m *Manager, id string) {
			if err := m.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			m.Close()
		}, StatusFailed, events.JobFailed},
		{"cancelled while pending", Job{Status: StatusPending}, func(t *testing.T, m *Manager, id string) {
			if _, err := m.Cancel(id); err != nil {
				t.Fatal(err)
			}
		}, StatusCancelled, events.JobCancelled},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, db := newStoreManager(t)
			watched := &endOrderStore{Backend: db}
			bus := events.NewBus()
			m := NewManager(Config{Workers: 1, ConcurrentExports: 1}, watched, bus, nil, KVMConfig{}, hclog.NewNullLogger())
			published := endEventsOf(t, bus)
			j := c.job
			j.ID, j.CreatedAt = "job-ends", time.Now().UTC()
			storeJobs(t, db, j)
			c.end(t, m, j.ID)
			if got, _ := m.getJob(j.ID); got.Status != c.status {
				t.Fatalf("job is %s, want %s", got.Status, c.status)
			}
			watched.mu.Lock()
			ended, unnoted := slices.Clone(watched.ended), slices.Clone(watched.unnoted)
			watched.mu.Unlock()
			if !slices.Equal(ended, []string{j.ID}) || len(unnoted) != 0 {
				t.Errorf("writes that ended a job: %q, of them without a noted end event: %q; want %s's, noted", ended, unnoted, j.ID)
			}
			if got := published(); !slices.Equal(got, []string{j.ID + " " + c.event}) {
				t.Errorf("end events published = %q, want %s's %s", got, j.ID, c.event)
			}
			if _, err := db.GetRecord(context.Background(), store.EndEvents, j.ID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the end event is still noted after it was published (%v)", err)
			}
		})
	}
}

// In a cluster, a node that adopts a dead node's job with no attempt left fails it — its end
// event noted first, published, then cleared; the job.failed message is the job's error.
func TestAdoptionThatFailsAJobNotesItsEnd(t *testing.T) {
	t.Parallel()
	endpoint := etcdtest.Start(t)
	s, err := etcdstore.Open(t.Context(), etcdstore.Config{Endpoints: []string{endpoint}, Prefix: "/adopt-end/"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	now := time.Now().UTC()
	dead := Job{ID: "job-orphan", Status: StatusRunning, Attempts: 1, Node: "node-gone", CreatedAt: now, StartedAt: &now}
	raw, err := json.Marshal(dead)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutJob(t.Context(), store.JobWrite{Entry: indexEntry(&dead), Record: raw}); err != nil {
		t.Fatal(err)
	}
	node, err := etcdstore.Join(t.Context(), s, store.Node{ID: "node-b"}, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { node.Close() })
	watched := &endOrderStore{Backend: s}
	bus := events.NewBus()
	published := endEventsOf(t, bus)
	m := NewManager(Config{Workers: 1, ConcurrentExports: 1, Cluster: node}, watched, bus, nil, KVMConfig{}, hclog.NewNullLogger())
	if err := m.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	j := waitJobFor(t, m, dead.ID, "failed by its adopter", func(j Job) bool { return j.Status.Terminal() })
	waitFor(t, "its job.failed to be published", func() bool { return len(published()) > 0 })
	watched.mu.Lock()
	ended, unnoted := slices.Clone(watched.ended), slices.Clone(watched.unnoted)
	watched.mu.Unlock()
	if j.Status != StatusFailed || !slices.Equal(ended, []string{dead.ID}) || len(unnoted) != 0 {
		t.Errorf("job %s; writes that ended it: %q, without a noted end event: %q", j.Status, ended, unnoted)
	}
	if got := published(); !slices.Equal(got, []string{dead.ID + " " + events.JobFailed}) {
		t.Errorf("end events published = %q, want one job.failed", got)
	}
	waitFor(t, "the note to be cleared", func() bool {
		_, err := s.GetRecord(t.Context(), store.EndEvents, dead.ID)
		return errors.Is(err, store.ErrNotFound)
	})
}
