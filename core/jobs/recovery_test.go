package jobs

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A job found running at start was interrupted by a crash. It is queued again while it has
// attempts left, and failed once it has used them all: a job that crashes the daemon does not
// crash it forever.
func TestRecoveredJobsCountTheirAttempts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		attempts, maxRetries int
		want                 Status
	}{
		{attempts: 1, maxRetries: 3, want: StatusPending},
		{attempts: 3, maxRetries: 3, want: StatusPending},
		{attempts: 4, maxRetries: 3, want: StatusFailed},
		{attempts: 1, maxRetries: 0, want: StatusFailed},
	}
	for _, c := range cases {
		m, _ := newStoreManager(t)
		m.cfg.MaxRetries = c.maxRetries
		j := Job{ID: "job-x", Status: StatusRunning, Stage: StageExporting, Attempts: c.attempts}
		m.recoverInterrupted(&j)
		if j.Status != c.want || len(j.Failures) != 1 || j.Failures[0].Stage != StageExporting {
			t.Errorf("attempts %d of max_retries %d: recovered as %s with failures %+v, want %s", c.attempts, c.maxRetries, j.Status, j.Failures, c.want)
		}
		if c.want == StatusFailed && (j.FinishedAt == nil || !strings.Contains(j.Error, "interrupted")) {
			t.Errorf("attempts %d: a failed recovery must say why and when: %+v", c.attempts, j)
		}
	}
}

func TestStartFailsAJobThatUsedEveryAttempt(t *testing.T) {
	t.Parallel()
	m, db := newStoreManager(t)
	m.cfg.MaxRetries = 2
	// It crashed the daemon while converting: its claimed folder holds a partial disk.
	out := filepath.Join(t.TempDir(), "vm")
	if err := os.MkdirAll(out, 0o750); err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{".hypersdk-job": "job-crashes\n", "vm-disk0.qcow2.part": "half"} {
		if err := os.WriteFile(filepath.Join(out, name), []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	storeJobs(t, db, Job{ID: "job-crashes", Status: StatusRunning, Stage: StageConverting, Attempts: 3, CreatedAt: time.Now().UTC(), Claimed: out})
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	j, err := m.Get("job-crashes")
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != StatusFailed || len(j.Failures) != 1 || !strings.Contains(j.Error, "3 attempts") {
		t.Fatalf("job after start = %s %q %+v, want failed after its 3 attempts", j.Status, j.Error, j.Failures)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("the failed job's output folder is still there (%v)", err)
	}
}
