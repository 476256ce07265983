package handoff

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// place writes files (relative path → content) under root, each with modification time at.
func place(t *testing.T, root string, at time.Time, files map[string]string) {
	t.Helper()
	for rel, content := range files {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, at, at); err != nil {
			t.Fatal(err)
		}
	}
}

const fullReport = `{"version":"1.0","timestamp":"2026-03-02T00:00:41","pipeline":{"success":true,"duration_seconds":3.1,"stages":{}},
 "artifacts":[{"type":"converted_disk","path":"/out/db/job-1/disk-0.qcow2","disk_id":"disk-0","format":"qcow2"},
              {"type":"converted_disk","path":"/out/db/job-1/disk-1.qcow2","disk_id":"disk-1","format":"qcow2"}],
 "warnings":[],"errors":[],"hyper2kvm_version":"0.2.0"}`

// Locate reads each place a manifest can be in hyper2kvm's workflow directory, with the names
// hyper2kvm gives it, in any date folder from the day before the hand-off on.
func TestLocate(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 3, 1, 23, 59, 0, 0, time.Local)
	old := time.Now().Add(-time.Hour)
	errorJSON := `{"job_id":"job-1","original_name":"job-1.json","failed_at":"2026-03-02T00:00:03","error":"Checksum verification failed for disk disk-0","exception":"Traceback…","status":"failed"}`
	cases := []struct {
		name    string
		files   map[string]string
		at      time.Time
		want    Outcome
		wantErr string
	}{
		{"nowhere", nil, old, Outcome{State: StateMissing}, ""},
		{"queued", map[string]string{"to_be_processed/job-1.json": "{}", "to_be_processed/job-10.json": "{}"}, old,
			Outcome{State: StateWaiting, Path: "to_be_processed/job-1.json"}, ""},
		{"taken", map[string]string{"processing/job-1.json": "{}"}, old, Outcome{State: StateConverting, Path: "processing/job-1.json"}, ""},
		{"taken under a collision suffix", map[string]string{"processing/job-1_20260302_000001.json": "{}", "processing/job-1x.json": "{}"}, old,
			Outcome{State: StateConverting, Path: "processing/job-1_20260302_000001.json"}, ""},
		{"completed the next day", map[string]string{"processed/2026-03-02/job-1.json": "{}", "processed/2026-03-02/job-1.json.report.json": fullReport}, old,
			Outcome{State: StateCompleted, Path: "processed/2026-03-02/job-1.json", Report: "processed/2026-03-02/job-1.json.report.json",
				Outputs: []string{"/out/db/job-1/disk-0.qcow2", "/out/db/job-1/disk-1.qcow2"}}, ""},
		{"completed under a collision suffix", map[string]string{"processed/2026-03-01/job-1_20260301_235959.json": "{}",
			"processed/2026-03-01/job-1_20260301_235959.json.report.json": `{"manifest":"job-1_20260301_235959","status":"completed","completed_at":"2026-03-01T23:59:59"}`,
			"out/2026-03-01/job-1_20260301_235959/disk-0.qcow2":           "image", "out/2026-03-01/job-1_20260301_235959/work/x.qcow2": "scratch"}, old,
			Outcome{State: StateCompleted, Path: "processed/2026-03-01/job-1_20260301_235959.json", Report: "processed/2026-03-01/job-1_20260301_235959.json.report.json",
				Outputs: []string{"out/2026-03-01/job-1_20260301_235959/disk-0.qcow2"}}, ""},
		{"failed", map[string]string{"failed/2026-03-02/job-1.json": "{}", "failed/2026-03-02/job-1.json.error.json": errorJSON}, old,
			Outcome{State: StateFailed, Path: "failed/2026-03-02/job-1.json", Report: "failed/2026-03-02/job-1.json.error.json", Error: "Checksum verification failed for disk disk-0"}, ""},
		{"a report saying the pipeline failed", map[string]string{"processed/2026-03-02/job-1.json": "{}",
			"processed/2026-03-02/job-1.json.report.json": `{"pipeline":{"success":false},"errors":[{"stage":"fix","message":"Failed to mount root filesystem"}]}`}, old,
			Outcome{State: StateFailed, Path: "processed/2026-03-02/job-1.json", Report: "processed/2026-03-02/job-1.json.report.json", Error: "fix: Failed to mount root filesystem"}, ""},
		{"moved, its report not yet written", map[string]string{"processed/2026-03-02/job-1.json": "{}"}, old,
			Outcome{State: StateConverting, Path: "processed/2026-03-02/job-1.json"}, ""},
		{"a report being written", map[string]string{"processed/2026-03-02/job-1.json": "{}", "processed/2026-03-02/job-1.json.report.json": `{"version":"1.0","pipel`}, time.Now(),
			Outcome{State: StateConverting, Path: "processed/2026-03-02/job-1.json"}, ""},
		{"a report that never parses", map[string]string{"processed/2026-03-02/job-1.json": "{}", "processed/2026-03-02/job-1.json.report.json": `{"version":"1.0","pipel`}, old,
			Outcome{}, "not the JSON it writes"},
		{"submitted again after a failure", map[string]string{"failed/2026-03-02/job-1.json": "{}", "failed/2026-03-02/job-1.json.error.json": errorJSON,
			"to_be_processed/job-1.json": "{}"}, old, Outcome{State: StateWaiting, Path: "to_be_processed/job-1.json"}, ""},
		{"a folder dated before the hand-off", map[string]string{"processed/2026-02-27/job-1.json": "{}", "processed/2026-02-27/job-1.json.report.json": fullReport}, old,
			Outcome{State: StateMissing}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			place(t, dir, c.at, c.files)
			got, err := Locate(dir, "job-1", filepath.Join(dir, "out"), since)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("Locate = %+v, %v; want error %q", got, err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rel := func(p string) string {
				if r, err := filepath.Rel(dir, p); err == nil && filepath.IsAbs(p) && !strings.HasPrefix(r, "..") {
					return r
				}
				return p
			}
			got.Path, got.Report = rel(got.Path), rel(got.Report)
			for i := range got.Outputs {
				got.Outputs[i] = rel(got.Outputs[i])
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("Locate = %+v\nwant     %+v", got, c.want)
			}
		})
	}
}

// The newest of two answers counts: a manifest that failed, was submitted again and completed.
func TestLocateTakesTheNewestAnswer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	place(t, dir, time.Now().Add(-2*time.Hour), map[string]string{"failed/2026-03-02/job-1.json": "{}",
		"failed/2026-03-02/job-1.json.error.json": `{"error":"disks[0].local_path not found: /x"}`})
	place(t, dir, time.Now().Add(-time.Hour), map[string]string{"processed/2026-03-03/job-1.json": "{}", "processed/2026-03-03/job-1.json.report.json": fullReport})
	got, err := Locate(dir, "job-1", "", time.Date(2026, 3, 2, 9, 0, 0, 0, time.Local))
	if err != nil || got.State != StateCompleted || len(got.Outputs) != 2 {
		t.Fatalf("Locate = %+v, %v", got, err)
	}
}

// The manifest reaches to_be_processed/ whole, under its final name, with no temporary file left
// where hyper2kvm looks; Withdraw takes it back out while hyper2kvm has not taken it.
func TestSubmitAndWithdraw(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "lab")
	m, err := Build(input(twoDisks(), disk(1, "vmdk")))
	if err != nil {
		t.Fatal(err)
	}
	path, err := Submit(dir, "job-1", m)
	if err != nil {
		t.Fatal(err)
	}
	if path != filepath.Join(dir, ToBeProcessed, "job-1.json") {
		t.Errorf("manifest at %s", path)
	}
	for _, d := range []string{dir, filepath.Join(dir, ToBeProcessed)} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".part") {
				t.Errorf("temporary file left: %s", filepath.Join(d, e.Name()))
			}
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil || doc["manifest_version"] != "1.0" {
		t.Fatalf("manifest_version is %#v (a string \"1.0\" is what hyper2kvm reads): %v", doc["manifest_version"], err)
	}
	got, err := Locate(dir, "job-1", "", time.Now())
	if err != nil || got.State != StateWaiting || got.Path != path {
		t.Errorf("Locate after Submit = %+v, %v", got, err)
	}

	withdrawn, ok, err := Withdraw(dir, "job-1")
	if err != nil || !ok || withdrawn != path+".withdrawn" {
		t.Fatalf("Withdraw = %s %v %v", withdrawn, ok, err)
	}
	if got, _ := Locate(dir, "job-1", "", time.Now()); got.State != StateMissing {
		t.Errorf("a withdrawn manifest is no longer hyper2kvm's to take: %+v", got)
	}
	if _, ok, err := Withdraw(dir, "job-1"); ok || err != nil {
		t.Errorf("Withdraw of a manifest hyper2kvm took = %v, %v; want false, nil", ok, err)
	}
}

func TestWorkflowDirRefusesPaths(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "..", "a/b", "../etc", strings.Repeat("x", 65)} {
		if _, err := WorkflowDir("/watch", bad); err == nil {
			t.Errorf("WorkflowDir(%q) accepted", bad)
		}
	}
	if dir, err := WorkflowDir("/watch", "vsphere"); err != nil || dir != "/watch/vsphere" {
		t.Errorf("WorkflowDir = %s, %v", dir, err)
	}
}
