package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func hyper2kvmConfig(base, out, watch, path, timeout string) string {
	return testproviderConfig + fmt.Sprintf(`
export:
  base_path: %s
hyper2kvm:
  path: %s
  output_dir: %s
  watch_dir: %s
  poll_interval: 200ms
  job_timeout: %s
`, base, path, out, watch, timeout)
}

// Daemon mode completes the job at hand-off and then follows hyper2kvm's answer.
func TestDaemonModeFollowsHyper2KVMsAnswer(t *testing.T) {
	t.Parallel()
	fake, _ := filepath.Abs("testdata/fake-hyper2kvm.sh")
	watch, out := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(watch, "lab"), 0o755)
	watcher := exec.Command(fake, "daemon", "--watch-dir", filepath.Join(watch, "lab"), "--output-dir", out)
	if err := watcher.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { watcher.Process.Kill(); watcher.Wait() })
	d := startDaemon(t, hyper2kvmConfig(t.TempDir(), out, watch, "/nonexistent/hyper2kvm", "2h"))
	submit := `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"ova","hyper2kvm_integration":{"enabled":true,"daemon_mode":true,"instance":"%s"}}`
	_, body, _ := d.do("POST", "/jobs/submit", fmt.Sprintf(submit, "lab"))
	id := body["job_id"].(string)
	if job := d.waitJob(id); job["status"] != "completed" {
		t.Fatalf("job = %v", job)
	}
	res := waitHandoff(t, d, id)
	if res["hyper2kvm_status"] != "completed" || len(res["hyper2kvm_outputs"].([]any)) != 1 {
		t.Fatalf("hand-off = %v", res)
	}
}

func TestHandoffTimesOutWithoutAnAnswer(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, hyper2kvmConfig(t.TempDir(), t.TempDir(), t.TempDir(), "/nonexistent/hyper2kvm", "3s"))
	_, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"vmdk","hyper2kvm_integration":{"enabled":true,"daemon_mode":true}}`)
	id := body["job_id"].(string)
	d.waitJob(id)
	if res := waitHandoff(t, d, id); res["hyper2kvm_status"] != "timed_out" {
		t.Fatalf("hand-off = %v", res)
	}
}

func waitHandoff(t *testing.T, d *daemon, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, j, _ := d.do("GET", "/jobs/query?job_id="+id, "")
		res, _ := j["result"].(map[string]any)
		if res != nil && res["hyper2kvm_status"] != "waiting" {
			return res
		}
		if time.Now().After(deadline) {
			t.Fatalf("hand-off still waiting: %v", j)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func waitLog(d *daemon, id, want string) string {
	var logs string
	for i := 0; i < 50 && !strings.Contains(logs, want); i++ {
		time.Sleep(50 * time.Millisecond)
		logs = d.text("/jobs/logs/" + id)
	}
	return logs
}
