package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Each phase has its own time bound: export.job_timeout stops a slow export (not retried, the
// reason in the job and its log), and hyper2kvm.job_timeout, a conversion setting, does not cut
// an export short. A completed job has no stage left and shows 100%.
func TestExportAndConversionHaveTheirOwnTimeBounds(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		bound      string // export.job_timeout or hyper2kvm.job_timeout
		convert    bool   // auto_convert after the export
		wantStatus string
		wantError  string
	}{
		// 1 MiB in 64 KiB chunks 150 ms apart: the export takes about 2.4 s.
		{name: "export past export.job_timeout", bound: "export.job_timeout: 500ms", wantStatus: "failed", wantError: "export exceeded export.job_timeout"},
		{name: "export longer than hyper2kvm.job_timeout", bound: "hyper2kvm.job_timeout: 1s", wantStatus: "completed"},
		// The conversion's clock starts when the export ends, not with the job.
		{name: "conversion after an export longer than hyper2kvm.job_timeout", bound: "hyper2kvm.job_timeout: 1s", convert: true, wantStatus: "completed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			section, setting, _ := strings.Cut(c.bound, ".")
			keys := map[string]string{"export": "  base_path: " + t.TempDir() + "\n", "hyper2kvm": ""}
			keys[section] += "  " + setting + "\n"
			if c.convert {
				needQemuImg(t)
				keys["hyper2kvm"] += "  output_dir: " + t.TempDir() + "\n"
			}
			cfg := "providers:\n  testprovider:\n    vm_count: 1\n    chunk_delay: 150ms\nexport:\n" + keys["export"]
			if keys["hyper2kvm"] != "" {
				cfg += "hyper2kvm:\n" + keys["hyper2kvm"]
			}
			d := startDaemon(t, cfg)
			req := `{"vm_identifier": "vm-001", "provider": "testprovider", "export_method": "vmdk"}`
			if c.convert {
				req = `{"vm_identifier": "vm-001", "provider": "testprovider", "export_method": "vmdk", "hyper2kvm_integration": {"enabled": true, "auto_convert": true}}`
			}
			_, body, _ := d.do("POST", "/jobs/submit", req)
			id := body["job_id"].(string)
			job := d.waitJob(id)
			logs := d.text("/jobs/logs/" + id)
			if job["status"] != c.wantStatus {
				t.Fatalf("job = %v\nlogs:\n%s", job, logs)
			}
			progress := job["progress"].(map[string]any)
			switch c.wantStatus {
			case "failed":
				if job["attempts"] != 1.0 || !strings.Contains(job["error"].(string), c.wantError) || !strings.Contains(logs, c.wantError) {
					t.Errorf("want one attempt failing with %q in the job and its log; job = %v\nlogs:\n%s", c.wantError, job, logs)
				}
			case "completed":
				if job["stage"] != nil || progress["percentage"] != 100.0 || progress["phase"] != "completed" {
					t.Errorf("completed job shows stage %v, progress %v", job["stage"], progress)
				}
			}
		})
	}
}

// A job that fails after its export reports how far it got, not its first progress sample, and
// its log ends with the reason.
func TestJobFailingAfterItsExportKeepsItsProgress(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	base, out := t.TempDir(), t.TempDir()
	// The disks of an earlier import of vm-001: the conversion must refuse to write there.
	taken := filepath.Join(out, "vm-001", "vm-001-disk0.qcow2")
	if err := os.MkdirAll(filepath.Dir(taken), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(taken, []byte("in use"), 0o640); err != nil {
		t.Fatal(err)
	}
	d := startDaemon(t, testproviderConfig+fmt.Sprintf("export:\n  base_path: %s\nhyper2kvm:\n  output_dir: %s\n", base, out))
	_, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier": "vm-001", "provider": "testprovider", "export_method": "ovf",
		"hyper2kvm_integration": {"enabled": true, "auto_convert": true}}`)
	id := body["job_id"].(string)
	job := d.waitJob(id)
	logs := d.text("/jobs/logs/" + id)
	if job["status"] != "failed" || job["attempts"] != 1.0 || !strings.Contains(job["error"].(string), "conflict") {
		t.Fatalf("job = %v\nlogs:\n%s", job, logs)
	}
	progress := job["progress"].(map[string]any)
	if progress["percentage"].(float64) < 100 || progress["phase"] == "preparing" {
		t.Errorf("failed job's progress = %v, want the finished export's", progress)
	}
	if !strings.Contains(logs, "job failed") || !strings.Contains(logs, "already holds") {
		t.Errorf("the job log lacks the failure and its reason:\n%s", logs)
	}
	if b, err := os.ReadFile(taken); err != nil || string(b) != "in use" {
		t.Errorf("the earlier import's disk changed: %q %v", b, err)
	}
}
