package main

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// providerLines indents settings into the test provider's section of the daemon's config.
func providerLines(settings []string) string {
	var b strings.Builder
	for _, s := range settings {
		b.WriteString("    " + s + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// watch's line names the platform's operation and its percentage while there is one.
func TestProgressLineShowsTheOperation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, progress, want string
	}{
		{"no operation", `{"job_id":"j1","status":"running","stage":"export","percentage":12.5}`,
			"j1 running export  12.5%"},
		{"operation with id and percent", `{"job_id":"j1","status":"running","stage":"export","percentage":50,"operation_id":"snap-1","operation":"create snapshot of vm-1","operation_percent":50}`,
			"j1 running export  50.0%  create snapshot of vm-1 (snap-1) 50%"},
		{"operation without id", `{"job_id":"j1","status":"running","stage":"export","percentage":0,"operation":"export task","operation_percent":0}`,
			"j1 running export   0.0%  export task 0%"},
		{"id alone, no percent yet", `{"job_id":"j1","status":"running","stage":"export","percentage":0,"operation_id":"import-7"}`,
			"j1 running export   0.0%  import-7"},
	}
	for _, c := range cases {
		var v any
		if err := json.Unmarshal([]byte(c.progress), &v); err != nil {
			t.Fatal(err)
		}
		if got := progressLine(v); got != c.want {
			t.Errorf("%s: progressLine = %q, want %q", c.name, got, c.want)
		}
	}
}

// While the test provider in cloud mode snapshots a VM, `jobs query` shows that operation and
// its percentage.
func TestJobsQueryShowsTheCloudOperation(t *testing.T) {
	t.Parallel()
	state := filepath.Join(t.TempDir(), "cloud.json")
	server := startDaemon(t, "cloud_state: "+state, "chunk_delay: 1s")
	sub := hyperctl(t, server, "jobs", "submit", "--vm", "vm-001", "--provider", "testprovider", "-o", "json")
	var job struct {
		ID string `json:"job_id"`
	}
	if err := json.Unmarshal([]byte(sub.stdout), &job); sub.code != 0 || err != nil || job.ID == "" {
		t.Fatalf("submit = exit %d %q %s: %v", sub.code, sub.stdout, sub.stderr, err)
	}
	defer hyperctl(t, server, "jobs", "cancel", job.ID)
	header := regexp.MustCompile(`(?m)^JOB_ID\s.*\sOPERATION\s+OP_PCT$`)
	row := regexp.MustCompile(`(?m)^` + job.ID + `\s+running\s.*\screate snapshot of vm-001\s+(0|25|50|75|100)$`)
	var last result
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		last = hyperctl(t, server, "jobs", "query", job.ID)
		if last.code == 0 && header.MatchString(last.stdout) && row.MatchString(last.stdout) {
			return
		}
	}
	t.Fatalf("jobs query never showed the snapshot being made: exit %d\n%s%s", last.code, last.stdout, last.stderr)
}
