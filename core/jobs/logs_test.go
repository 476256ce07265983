package jobs

import (
	"path/filepath"
	"testing"

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
	if n != 3 {
		t.Fatalf("%d lines committed after Sync, want 3", n)
	}
}
