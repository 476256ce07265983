package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/store"
)

// A daemon killed after storing a job's end and before publishing its event sends the event
// at its next start; one noted for a job that is gone is dropped.
func TestStartPublishesTheEndEventsACrashLeft(t *testing.T) {
	t.Parallel()
	m, db := newStoreManager(t)
	now := time.Now().UTC()
	storeJobs(t, db,
		Job{ID: "job-ended", Status: StatusCompleted, CreatedAt: now, FinishedAt: &now},
		Job{ID: "job-published", Status: StatusCompleted, CreatedAt: now, FinishedAt: &now})
	for id, typ := range map[string]string{"job-ended": events.JobCompleted, "job-gone": events.JobCancelled} {
		raw, err := json.Marshal(endEvent{Type: typ, At: now})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.PutRecord(context.Background(), store.EndEvents, id, raw); err != nil {
			t.Fatal(err)
		}
	}
	published := endEventsOf(t, m.bus)
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if got := published(); !slices.Equal(got, []string{"job-ended " + events.JobCompleted}) {
		t.Errorf("end events published at start = %q; want job-ended's job.completed only", got)
	}
	for _, id := range []string{"job-ended", "job-gone"} {
		if _, err := db.GetRecord(context.Background(), store.EndEvents, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the end event of %s is still noted after start (%v)", id, err)
		}
	}
}

// A job that ends normally leaves no end event noted: it was published.
func TestAnEndedJobLeavesNoEndEventNoted(t *testing.T) {
	t.Parallel()
	m, db := newStoreManager(t)
	now := time.Now().UTC()
	storeJobs(t, db, Job{ID: "job-run", Status: StatusRunning, CreatedAt: now})
	m.finish("job-run", StatusCompleted, "", nil)
	n := 0
	if err := db.ListRecords(context.Background(), store.EndEvents, func(string, []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if j, err := m.Get("job-run"); err != nil || j.Status != StatusCompleted || n != 0 {
		t.Fatalf("job %+v (%v), %d end events noted; want completed and none", j, err, n)
	}
}

// An end event noted for a job whose end was never stored (the daemon died between the two) is
// dropped, not sent: the job ends again, and is noted again, when it runs; in a cluster one
// younger than the grace is left to the node publishing it.
func TestResendDropsTheEndEventOfAJobThatDidNotEnd(t *testing.T) {
	t.Parallel()
	m, db := newStoreManager(t)
	now := time.Now().UTC()
	storeJobs(t, db, Job{ID: "job-running", Status: StatusRunning, CreatedAt: now},
		Job{ID: "job-young", Status: StatusCompleted, CreatedAt: now, FinishedAt: &now})
	for _, id := range []string{"job-running", "job-young"} {
		raw, _ := json.Marshal(endEvent{Type: events.JobCompleted, At: now})
		if err := db.PutRecord(context.Background(), store.EndEvents, id, raw); err != nil {
			t.Fatal(err)
		}
	}
	sent := endEventsOf(t, m.bus)
	m.resendEndEvents(context.Background(), time.Hour) // a cluster's grace: both are too young
	if got := sent(); len(got) != 0 {
		t.Errorf("sent %q within the grace; want nothing", got)
	}
	m.resendEndEvents(context.Background(), 0)
	if got := sent(); !slices.Equal(got, []string{"job-young " + events.JobCompleted}) {
		t.Errorf("sent %q; want job-young's end event only", got)
	}
	if _, err := db.GetRecord(context.Background(), store.EndEvents, "job-running"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the end event of a job that did not end is still noted (%v)", err)
	}
	if _, err := db.GetRecord(context.Background(), store.EndEvents, "job-young"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the end event of an ended job is still noted after it was sent (%v)", err)
	}
}
