package jobs

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	bolt "go.etcd.io/bbolt"

	"github.com/hypersdk/hypersdk/core/store"
)

// After Sync, every line logged before it is in the store: a job's end is recorded only then.
func TestLogSinkSyncCommitsWhatCameBefore(t *testing.T) {
	t.Parallel()
	db, err := store.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storeJobs(t, db, Job{ID: "job-1", Status: StatusRunning, CreatedAt: time.Now().UTC()})
	sink := NewLogSink(db)
	defer sink.Close()
	for i := range 3 {
		sink.Accept("jobs", hclog.Info, "line", "job_id", "job-1", "n", i)
	}
	sink.Sync()
	n := 0
	db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(store.BucketJobLogs).Bucket([]byte("job-1")); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	if n != 1+3 { // storeJobs's line and these three
		t.Fatalf("%d lines committed after Sync, want 4", n)
	}
}

// A line about a job that is no longer stored (retention deleted it while something still
// logged about it) does not bring back an orphan log.
func TestLogSinkRevivesNoLogOfADeletedJob(t *testing.T) {
	t.Parallel()
	m, db := newStoreManager(t)
	storeJobs(t, db, endedJob("job-gone", StatusCompleted, 40*day))
	if n, err := m.Prune(context.Background(), 30*day); err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v", n, err)
	}
	sink := NewLogSink(db)
	defer sink.Close()
	sink.Accept("scheduler", hclog.Info, "backup pruned", "job_id", "job-gone")
	sink.Sync()
	if _, logs := jobsAndLogs(t, db); len(logs) != 0 {
		t.Fatalf("logs after a line about a deleted job: %v", logs)
	}
}
