package store

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hypersdk.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func put(t *testing.T, s *Store, entries ...JobEntry) {
	t.Helper()
	err := s.Update(func(tx *bolt.Tx) error {
		for _, e := range entries {
			if err := PutJob(tx, e, []byte(e.ID)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func counts(t *testing.T, s *Store) map[string]uint64 {
	t.Helper()
	var out map[string]uint64
	s.View(func(tx *bolt.Tx) error { out = JobCounts(tx); return nil })
	for k, v := range out { // a status that had jobs once keeps a 0 counter
		if v == 0 {
			delete(out, k)
		}
	}
	return out
}

func page(t *testing.T, s *Store, status string, offset, limit int) ([]string, int) {
	t.Helper()
	var ids []string
	var total int
	err := s.View(func(tx *bolt.Tx) (err error) {
		total, err = JobPage(tx, status, offset, limit, func(raw []byte) error { ids = append(ids, string(raw)); return nil })
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids, total
}

// The counters follow every transition and survive a reopen, without reading a job record.
func TestJobCountsFollowTransitionsAndReopen(t *testing.T) {
	t.Parallel()
	s, path := openTemp(t)
	job := func(id, status string) JobEntry {
		e := JobEntry{ID: id, Status: status, CreatedAt: epoch}
		if status == "completed" || status == "failed" || status == "cancelled" {
			e.FinishedAt = epoch.Add(time.Hour)
		}
		return e
	}
	steps := []struct {
		writes []JobEntry
		want   map[string]uint64
	}{
		{[]JobEntry{job("a", "pending"), job("b", "pending"), job("c", "pending")}, map[string]uint64{"pending": 3}},
		{[]JobEntry{job("a", "running"), job("a", "running")}, map[string]uint64{"pending": 2, "running": 1}}, // a progress write changes nothing
		{[]JobEntry{job("a", "completed"), job("b", "cancelled")}, map[string]uint64{"pending": 1, "completed": 1, "cancelled": 1}},
		{[]JobEntry{job("c", "running"), job("c", "pending"), job("c", "running"), job("c", "failed")}, map[string]uint64{"completed": 1, "cancelled": 1, "failed": 1}},
	}
	for i, st := range steps {
		put(t, s, st.writes...)
		if got := counts(t, s); !reflect.DeepEqual(got, st.want) {
			t.Fatalf("step %d: counts = %v, want %v", i, got, st.want)
		}
	}
	s.Update(func(tx *bolt.Tx) error { _, err := DeleteJob(tx, "b"); return err })
	want := map[string]uint64{"completed": 1, "failed": 1}
	if got := counts(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after delete: counts = %v, want %v", got, want)
	}
	s.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := counts(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after reopen: counts = %v, want %v", got, want)
	}
}

// Paging walks every job exactly once, newest first (ties by id), for all jobs and per status.
func TestJobPageOrderAndCompleteness(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t)
	statuses := []string{"pending", "running", "completed", "failed"}
	var all []JobEntry
	for i := range 103 {
		// created times out of insertion order, with ties
		all = append(all, JobEntry{ID: fmt.Sprintf("job-%03d", i), Status: statuses[i%4], CreatedAt: epoch.Add(time.Duration((i*37)%50) * time.Second)})
	}
	put(t, s, all...)
	newestFirst := func(status string) []string {
		var ids []string
		for sec := 49; sec >= 0; sec-- {
			for i := len(all) - 1; i >= 0; i-- {
				e := all[i]
				if e.CreatedAt.Equal(epoch.Add(time.Duration(sec)*time.Second)) && (status == "" || e.Status == status) {
					ids = append(ids, e.ID)
				}
			}
		}
		return ids
	}
	for _, status := range []string{"", "pending", "failed"} {
		want := newestFirst(status)
		for _, limit := range []int{1, 7, 50, 1000} {
			var got []string
			for offset := 0; ; offset += limit {
				ids, total := page(t, s, status, offset, limit)
				if total != len(want) {
					t.Fatalf("status %q: total = %d, want %d", status, total, len(want))
				}
				if len(ids) == 0 {
					break
				}
				got = append(got, ids...)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("status %q limit %d: pages = %v\nwant %v", status, limit, got, want)
			}
		}
	}
	if ids, total := page(t, s, "cancelled", 0, 10); len(ids) != 0 || total != 0 {
		t.Fatalf("cancelled: %v, total %d; want none", ids, total)
	}
}

// FinishedBefore names the ended jobs older than the cutoff, oldest first, and nothing else;
// DeleteJob takes a job's record, index entries and log.
func TestFinishedBeforeAndDeleteJob(t *testing.T) {
	t.Parallel()
	s, _ := openTemp(t)
	ended := func(id, status string, ago time.Duration) JobEntry {
		return JobEntry{ID: id, Status: status, CreatedAt: epoch.Add(-ago - time.Hour), FinishedAt: epoch.Add(-ago)}
	}
	put(t, s,
		ended("old-done", "completed", 40*24*time.Hour),
		ended("old-failed", "failed", 31*24*time.Hour),
		ended("new-done", "completed", 29*24*time.Hour),
		JobEntry{ID: "old-pending", Status: "pending", CreatedAt: epoch.Add(-90 * 24 * time.Hour)},
	)
	s.Update(func(tx *bolt.Tx) error {
		b, _ := tx.Bucket(BucketJobLogs).CreateBucket([]byte("old-done"))
		return b.Put(SeqKey(1), []byte(`{"message":"x"}`))
	})
	var ids []string
	s.View(func(tx *bolt.Tx) error { ids = FinishedBefore(tx, epoch.Add(-30*24*time.Hour), 10); return nil })
	if want := []string{"old-done", "old-failed"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("FinishedBefore = %v, want %v", ids, want)
	}
	s.View(func(tx *bolt.Tx) error { ids = FinishedBefore(tx, epoch, 1); return nil })
	if want := []string{"old-done"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("FinishedBefore max 1 = %v, want %v", ids, want)
	}
	err := s.Update(func(tx *bolt.Tx) error {
		for _, id := range []string{"old-done", "nope"} {
			ok, err := DeleteJob(tx, id)
			if err != nil || ok != (id == "old-done") {
				return fmt.Errorf("DeleteJob(%s) = %v, %v", id, ok, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.View(func(tx *bolt.Tx) error {
		if tx.Bucket(BucketJobs).Get([]byte("old-done")) != nil || tx.Bucket(BucketJobLogs).Bucket([]byte("old-done")) != nil {
			t.Error("the deleted job's record or log is still there")
		}
		if ids = FinishedBefore(tx, epoch, 10); !reflect.DeepEqual(ids, []string{"old-failed", "new-done"}) {
			t.Errorf("FinishedBefore after delete = %v", ids)
		}
		return nil
	})
	if ids, total := page(t, s, "", 0, 10); total != 3 || len(ids) != 3 {
		t.Fatalf("page after delete = %v, total %d; want 3", ids, total)
	}
}

// A file written by a build before the index (schema 1) gets its index built once, at open.
func TestOpenIndexesASchema1File(t *testing.T) {
	t.Parallel()
	s, path := openTemp(t)
	records := map[string]string{
		"job-a": `{"job_id":"job-a","status":"completed","created_at":"2026-01-01T00:00:00Z","finished_at":"2026-01-01T01:00:00Z"}`,
		"job-b": `{"job_id":"job-b","status":"pending","created_at":"2026-01-02T00:00:00Z"}`,
		"job-c": `{"job_id":"job-c","status":"failed","created_at":"2026-01-03T00:00:00.5Z","finished_at":"2026-01-03T00:00:01Z"}`,
	}
	err := s.Update(func(tx *bolt.Tx) error { // what schema 1 looked like: records, no index
		for id, raw := range records {
			if err := tx.Bucket(BucketJobs).Put([]byte(id), []byte(raw)); err != nil {
				return err
			}
		}
		if err := tx.DeleteBucket(BucketJobIndex); err != nil {
			return err
		}
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte("1"))
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, _ := s.SchemaVersion(); v != SchemaVersion {
		t.Errorf("schema after migration = %d, want %d", v, SchemaVersion)
	}
	if got, want := counts(t, s), map[string]uint64{"completed": 1, "pending": 1, "failed": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
	var ids []string
	s.View(func(tx *bolt.Tx) error {
		_, err := JobPage(tx, "", 0, 0, func(raw []byte) error {
			var j struct {
				ID string `json:"job_id"`
			}
			err := json.Unmarshal(raw, &j)
			ids = append(ids, j.ID)
			return err
		})
		return err
	})
	if want := []string{"job-c", "job-b", "job-a"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("page = %v, want %v", ids, want)
	}
	s.View(func(tx *bolt.Tx) error { ids = FinishedBefore(tx, epoch.Add(48*time.Hour), 10); return nil })
	if want := []string{"job-a"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("FinishedBefore = %v, want %v", ids, want)
	}
}
