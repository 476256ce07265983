package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A job's plan is in GET /jobs/query as its steps; a retry resumes at the first step not done,
// so a finished step — the export above all — is never run twice.
func TestFinishedStepsAreNeverRunTwice(t *testing.T) {
	t.Parallel()
	// A file where hyper2kvm's watch directory should be: every hand-off fails, and is retried.
	watch := filepath.Join(t.TempDir(), "not-a-directory")
	if err := os.WriteFile(watch, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, "providers:\n  testprovider:\n    vm_count: 1\nexport:\n  base_path: "+t.TempDir()+"\n  max_retries: 1\nhyper2kvm:\n  watch_dir: "+watch+"\n")
	_, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier": "vm-001", "provider": "testprovider", "export_method": "ovf",
		"hyper2kvm_integration": {"enabled": true, "daemon_mode": true}}`)
	id := body["job_id"].(string)
	job := d.waitJob(id)
	logs := d.text("/jobs/logs/" + id)
	if job["status"] != "failed" || job["attempts"] != 2.0 {
		t.Fatalf("job = %v\nlogs:\n%s", job, logs)
	}
	want := []struct{ name, state string }{{"export", "done"}, {"verify", "done"}, {"package", "done"}, {"hand-off", "failed"}}
	steps, _ := job["steps"].([]any)
	if len(steps) != len(want) {
		t.Fatalf("steps = %v, want %v", steps, want)
	}
	for i, w := range want {
		s := steps[i].(map[string]any)
		if s["name"] != w.name || s["state"] != w.state || s["started_at"] == nil || s["finished_at"] == nil {
			t.Errorf("step %d = %v, want %s %s with its times", i, s, w.name, w.state)
		}
	}
	if s := steps[0].(map[string]any); s["bytes"] == nil || s["bytes"].(float64) <= 0 {
		t.Errorf("the export step reports no bytes: %v", s)
	}
	if s := steps[3].(map[string]any); !strings.Contains(s["error"].(string), "hand") {
		t.Errorf("the failed step does not say why: %v", s)
	}
	for step, runs := range map[string]int{"export": 1, "verify": 1, "package": 1, "hand-off": 2} {
		if got := strings.Count(logs, "step started step="+step+"\n"); got != runs {
			t.Errorf("step %s ran %d times over 2 attempts, want %d\n%s", step, got, runs, logs)
		}
	}
}
