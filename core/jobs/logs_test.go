package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"
	bolt "go.etcd.io/bbolt"

	"github.com/hypersdk/hypersdk/core/store"
)

// storeWithRunningJob is a fresh store holding one running job (and its first log line).
func storeWithRunningJob(t *testing.T, id string) *store.Store {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	storeJobs(t, db, Job{ID: id, Status: StatusRunning, CreatedAt: time.Now().UTC()})
	return db
}

// After Sync, every line logged before it is in the store: a job's end is recorded only then.
func TestLogSinkSyncCommitsWhatCameBefore(t *testing.T) {
	t.Parallel()
	db := storeWithRunningJob(t, "job-1")
	sink := NewLogSink(db, nil)
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
	sink := NewLogSink(db, nil)
	defer sink.Close()
	sink.Accept("scheduler", hclog.Info, "backup pruned", "job_id", "job-gone")
	sink.Sync()
	if _, logs := jobsAndLogs(t, db); len(logs) != 0 {
		t.Fatalf("logs after a line about a deleted job: %v", logs)
	}
}

// Lines the sink cannot keep up with are not lost silently: the job's log says how many went,
// and those kept plus those counted are every line logged.
func TestLogSinkCountsTheLinesItLoses(t *testing.T) {
	t.Parallel()
	db := storeWithRunningJob(t, "job-1")
	sink := newLogSink(db, 1) // writer not started: all but one line find the buffer full
	defer sink.Close()
	const logged = 2000
	for i := range logged {
		sink.Accept("jobs", hclog.Info, "line", "job_id", "job-1", "n", i)
	}
	go sink.write()
	sink.Sync()
	sink.Accept("jobs", hclog.Info, "after", "job_id", "job-1") // the lost count rides on a later commit
	sink.Sync()
	kept, lost := 0, 0
	db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(store.BucketJobLogs).Bucket([]byte("job-1")).ForEach(func(_, raw []byte) error {
			var l LogLine
			if err := json.Unmarshal(raw, &l); err != nil {
				return err
			}
			switch {
			case l.Message == "line":
				kept++
			case strings.Contains(l.Message, "were lost"):
				var n int
				fmt.Sscanf(l.Message, "%d log lines", &n)
				lost += n
			}
			return nil
		})
	})
	if kept != 1 || lost != logged-1 {
		t.Fatalf("kept %d and counted %d lost lines, want 1 kept and %d counted lost", kept, lost, logged-1)
	}
}
