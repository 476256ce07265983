package jobs

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	bolt "go.etcd.io/bbolt"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/store"
)

// newStoreManager is a manager over a fresh store, with no provider: enough for what only
// reads and writes job records.
func newStoreManager(t testing.TB) (*Manager, *store.Store) {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "hypersdk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m := NewManager(Config{Workers: 1, ConcurrentExports: 1}, db, events.NewBus(), nil, KVMConfig{}, hclog.NewNullLogger())
	return m, db
}

// storeJobs writes jobs as they would be after their last transition, each with one log line.
func storeJobs(t testing.TB, db *store.Store, jobs ...Job) {
	t.Helper()
	err := db.Update(func(tx *bolt.Tx) error {
		for i := range jobs {
			raw, err := json.Marshal(jobs[i])
			if err != nil {
				return err
			}
			if err := store.PutJob(tx, indexEntry(&jobs[i]), raw); err != nil {
				return err
			}
			logs, err := tx.Bucket(store.BucketJobLogs).CreateBucketIfNotExists([]byte(jobs[i].ID))
			if err != nil {
				return err
			}
			seq, _ := logs.NextSequence()
			if err := logs.Put(store.SeqKey(seq), []byte(`{"message":"job accepted"}`)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The job counts follow each transition a job goes through, and are still right after the
// store is closed and opened again.
func TestCountByStatusFollowsTransitionsAndReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "hypersdk.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	m := NewManager(Config{Workers: 1, ConcurrentExports: 1}, db, events.NewBus(), nil, KVMConfig{}, hclog.NewNullLogger())
	now := time.Now().UTC()
	storeJobs(t, db, Job{ID: "a", Status: StatusPending, CreatedAt: now}, Job{ID: "b", Status: StatusPending, CreatedAt: now}, Job{ID: "c", Status: StatusPending, CreatedAt: now})
	transitions := []struct {
		id     string
		change func(*Job)
		want   map[string]float64
	}{
		{"a", func(j *Job) { j.Status = StatusRunning }, map[string]float64{"pending": 2, "running": 1}},
		{"a", func(j *Job) { j.Progress.Percentage = 50 }, map[string]float64{"pending": 2, "running": 1}},
		{"a", func(j *Job) { j.Status, j.FinishedAt = StatusCompleted, &now }, map[string]float64{"pending": 2, "completed": 1}},
		{"b", func(j *Job) { j.Status = StatusRunning }, map[string]float64{"pending": 1, "running": 1, "completed": 1}},
		{"b", func(j *Job) { j.Status = StatusPending }, map[string]float64{"pending": 2, "completed": 1}}, // interrupted, queued again
		{"b", func(j *Job) { j.Status, j.FinishedAt = StatusCancelled, &now }, map[string]float64{"pending": 1, "completed": 1, "cancelled": 1}},
		{"c", func(j *Job) { j.Status = StatusRunning }, map[string]float64{"running": 1, "completed": 1, "cancelled": 1}},
		{"c", func(j *Job) { j.Status, j.FinishedAt = StatusFailed, &now }, map[string]float64{"completed": 1, "failed": 1, "cancelled": 1}},
	}
	full := func(m map[string]float64) map[string]float64 {
		out := map[string]float64{"pending": 0, "running": 0, "completed": 0, "failed": 0, "cancelled": 0}
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	for i, tr := range transitions {
		if _, err := m.update(tr.id, func(j *Job) error { tr.change(j); return nil }); err != nil {
			t.Fatal(err)
		}
		if got := m.CountByStatus(); !reflect.DeepEqual(got, full(tr.want)) {
			t.Fatalf("after transition %d (%s): %v, want %v", i, tr.id, got, full(tr.want))
		}
	}
	db.Close()
	db, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m = NewManager(Config{Workers: 1, ConcurrentExports: 1}, db, events.NewBus(), nil, KVMConfig{}, hclog.NewNullLogger())
	if got, want := m.CountByStatus(), full(transitions[len(transitions)-1].want); !reflect.DeepEqual(got, want) {
		t.Fatalf("after reopen: %v, want %v", got, want)
	}
}

// GET /jobs pages come from the index: every job once, newest first, filtered by status, and a
// job record off the page is never decoded (an unreadable one does not break the list).
func TestListPagesThroughTheIndex(t *testing.T) {
	t.Parallel()
	m, db := newStoreManager(t)
	base := time.Now().UTC()
	var all []Job
	for i := range 25 {
		s := []Status{StatusPending, StatusCompleted, StatusFailed}[i%3]
		all = append(all, Job{ID: fmt.Sprintf("job-%02d", i), Status: s, CreatedAt: base.Add(time.Duration(i) * time.Second)})
	}
	storeJobs(t, db, all...)
	db.Update(func(tx *bolt.Tx) error { // the oldest record is unreadable; only its index entry is sound
		return tx.Bucket(store.BucketJobs).Put([]byte("job-00"), []byte("{not json"))
	})
	for _, status := range []Status{"", StatusCompleted} {
		var want []string
		for i := len(all) - 1; i >= 1; i-- {
			if status == "" || all[i].Status == status {
				want = append(want, all[i].ID)
			}
		}
		var got []string
		for offset := 0; len(got) < len(want); offset += 4 {
			page, total, err := m.List(ListOptions{Status: status, Limit: 4, Offset: offset})
			if err != nil {
				t.Fatalf("status %q offset %d: %v", status, offset, err)
			}
			if wantTotal := len(want) + map[Status]int{"": 1}[status]; total != wantTotal {
				t.Fatalf("status %q: total %d, want %d", status, total, wantTotal)
			}
			for _, j := range page {
				got = append(got, j.ID)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("status %q: %v\nwant %v", status, got, want)
		}
	}
	counts := m.CountByStatus()
	if counts["pending"] != 9 || counts["completed"] != 8 || counts["failed"] != 8 {
		t.Errorf("counts = %v, want pending 9, completed 8, failed 8", counts)
	}
	if page, _, err := m.List(ListOptions{Limit: 4, Offset: 100}); err != nil || len(page) != 0 || page == nil {
		t.Errorf("a page past the end = %v, %v; want an empty list", page, err)
	}
}
