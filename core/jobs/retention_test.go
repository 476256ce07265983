package jobs

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hypersdk/hypersdk/core/store"
)

const day = 24 * time.Hour

// endedJob is a job that ended `ago` before now with status s.
func endedJob(id string, s Status, ago time.Duration) Job {
	end := time.Now().UTC().Add(-ago)
	start := end.Add(-time.Hour)
	return Job{ID: id, Kind: KindExport, Status: s, CreatedAt: start, StartedAt: &start, FinishedAt: &end}
}

// retentionFixture has, for each kind of job, one on each side of a 30-day retention.
func retentionFixture() (jobs []Job, expired []string) {
	jobs = []Job{
		endedJob("completed-old", StatusCompleted, 31*day),
		endedJob("failed-old", StatusFailed, 45*day),
		endedJob("cancelled-old", StatusCancelled, 400*day),
		endedJob("completed-new", StatusCompleted, 29*day),
		endedJob("failed-new", StatusFailed, time.Hour),
		{ID: "pending-old", Kind: KindExport, Status: StatusPending, CreatedAt: time.Now().UTC().Add(-90 * day)},
		{ID: "running-old", Kind: KindExport, Status: StatusRunning, CreatedAt: time.Now().UTC().Add(-60 * day), Stage: StageExporting},
	}
	return jobs, []string{"cancelled-old", "completed-old", "failed-old"}
}

// jobsAndLogs lists the ids with a record and the ids with a log.
func jobsAndLogs(t *testing.T, db *store.Store) (records, logs []string) {
	t.Helper()
	db.View(func(tx *bolt.Tx) error {
		tx.Bucket(store.BucketJobs).ForEach(func(k, _ []byte) error { records = append(records, string(k)); return nil })
		tx.Bucket(store.BucketJobLogs).ForEach(func(k, _ []byte) error { logs = append(logs, string(k)); return nil })
		return nil
	})
	return records, logs
}

// Prune deletes exactly the jobs that ended before the cutoff, and their logs; pending and
// running jobs stay whatever their age.
func TestPruneDeletesExactlyTheOldEndedJobsAndTheirLogs(t *testing.T) {
	t.Parallel()
	m, db := newStoreManager(t)
	all, expired := retentionFixture()
	storeJobs(t, db, all...)
	n, err := m.Prune(context.Background(), 30*day)
	if err != nil || n != len(expired) {
		t.Fatalf("Prune = %d, %v; want %d", n, err, len(expired))
	}
	want := []string{"completed-new", "failed-new", "pending-old", "running-old"}
	records, logs := jobsAndLogs(t, db)
	if !reflect.DeepEqual(records, want) || !reflect.DeepEqual(logs, want) {
		t.Fatalf("left: records %v, logs %v; want %v for both", records, logs, want)
	}
	counts := m.CountByStatus()
	if wantCounts := map[string]float64{"pending": 1, "running": 1, "completed": 1, "failed": 1, "cancelled": 0}; !reflect.DeepEqual(counts, wantCounts) {
		t.Errorf("counts after prune = %v, want %v", counts, wantCounts)
	}
	if n, err := m.Prune(context.Background(), 0); err != nil || n != 2 {
		t.Errorf("Prune(0) = %d, %v; want the 2 ended jobs left", n, err)
	}
	if _, err := m.Prune(context.Background(), -time.Second); err == nil {
		t.Error("Prune(-1s) accepted a negative age")
	}
}

// More expired jobs than one transaction takes are all deleted, batch after batch.
func TestPruneWorksThroughABacklog(t *testing.T) {
	t.Parallel()
	m, db := newStoreManager(t)
	var backlog []Job
	for i := range 2*pruneBatch + 7 {
		backlog = append(backlog, endedJob(fmt.Sprintf("job-%04d", i), StatusCompleted, 40*day+time.Duration(i)*time.Minute))
	}
	storeJobs(t, db, backlog...)
	if n, err := m.Prune(context.Background(), 30*day); err != nil || n != len(backlog) {
		t.Fatalf("Prune = %d, %v; want %d", n, err, len(backlog))
	}
	if records, logs := jobsAndLogs(t, db); len(records)+len(logs) != 0 {
		t.Fatalf("left %d records, %d logs", len(records), len(logs))
	}
}

// With database.job_retention set, the manager sweeps when it starts.
func TestStartSweepsExpiredJobs(t *testing.T) {
	t.Parallel()
	m, db := newStoreManager(t)
	m.cfg.Retention = 30 * day
	all, _ := retentionFixture()
	var ended []Job
	for _, j := range all {
		if j.Status.Terminal() { // a pending job would be run, and there is no provider here
			ended = append(ended, j)
		}
	}
	storeJobs(t, db, ended...)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	want := []string{"completed-new", "failed-new"}
	var records []string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if records, _ = jobsAndLogs(t, db); reflect.DeepEqual(records, want) {
			return
		}
	}
	t.Fatalf("records after the start sweep: %v, want %v", records, want)
}
