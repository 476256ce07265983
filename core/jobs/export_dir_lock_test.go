package jobs

import (
	"errors"
	"testing"
	"time"
)

// Two live exports never share a directory; a finished job's directory may be used again.
func TestClaimExportDirs(t *testing.T) {
	t.Parallel()
	m, db := newStoreManager(t)
	now := time.Now().UTC()
	storeJobs(t, db,
		Job{ID: "job-running", Kind: KindExport, Status: StatusRunning, ExportDir: "/exports/busy", CreatedAt: now},
		Job{ID: "job-queued", Kind: KindExport, Status: StatusPending, ExportDir: "/exports/queued", CreatedAt: now},
		Job{ID: "job-done", Kind: KindExport, Status: StatusCompleted, ExportDir: "/exports/done", CreatedAt: now, FinishedAt: &now},
		Job{ID: "job-convert", Kind: KindConvert, Status: StatusRunning, ExportDir: "/exports/source", CreatedAt: now},
	)
	if err := m.seedExportDirs(t.Context()); err != nil {
		t.Fatal(err)
	}
	export := func(dir string) Job { return Job{Kind: KindExport, ExportDir: dir} }
	cases := []struct {
		name      string
		batch     []Job
		wantField string // "" when accepted
	}{
		{name: "free directory", batch: []Job{export("/exports/new")}},
		{name: "finished job's directory", batch: []Job{export("/exports/done")}},
		{name: "directory a conversion reads from", batch: []Job{export("/exports/source")}},
		{name: "running job's directory", batch: []Job{export("/exports/busy")}, wantField: "export_path"},
		{name: "pending job's directory", batch: []Job{export("/exports/queued")}, wantField: "export_path"},
		{name: "one directory twice in a batch", batch: []Job{export("/exports/a"), export("/exports/a")}, wantField: "jobs[1].export_path"},
	}
	for _, c := range cases {
		err := m.claimExportDirs(c.batch)
		var fe *FieldError
		switch {
		case c.wantField == "" && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case c.wantField != "" && (!errors.As(err, &fe) || fe.Field != c.wantField || !errors.Is(err, ErrConflict)):
			t.Errorf("%s: = %v, want a conflict naming %s", c.name, err, c.wantField)
		}
	}
	// The map is only a hint: once its job has ended, the directory is free again.
	storeJobs(t, db, Job{ID: "job-queued", Kind: KindExport, Status: StatusCancelled, ExportDir: "/exports/queued", CreatedAt: now, FinishedAt: &now})
	if err := m.claimExportDirs([]Job{export("/exports/queued")}); err != nil {
		t.Errorf("the directory of a job that ended is still refused: %v", err)
	}
}
