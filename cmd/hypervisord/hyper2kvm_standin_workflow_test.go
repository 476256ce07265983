package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// workflowDaemon is one running `hyper2kvm daemon --manifest-workflow-mode`.
type workflowDaemon struct {
	dir, out string
	cmd      *exec.Cmd
	mu       sync.Mutex
	log      bytes.Buffer
	done     chan error
}

func (w *workflowDaemon) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.log.Write(p)
}

func (w *workflowDaemon) logText() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.log.String()
}

// startWorkflow starts the stand-in's manifest workflow on dir; the test's end stops it with SIGTERM.
func startWorkflow(t *testing.T, dir, out string, env ...string) *workflowDaemon {
	t.Helper()
	w := &workflowDaemon{dir: dir, out: out, done: make(chan error, 1)}
	w.cmd = exec.Command(buildHyper2KVM(t), "daemon", "--manifest-workflow-mode", "--manifest-workflow-dir", dir, "--output-dir", out, "--max-concurrent-jobs", "2")
	w.cmd.Env = append(os.Environ(), env...)
	w.cmd.Stdout, w.cmd.Stderr = w, w
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { w.done <- w.cmd.Wait() }()
	t.Cleanup(func() { w.stop(t) })
	return w
}

// stop sends SIGTERM and waits for a clean exit.
func (w *workflowDaemon) stop(t *testing.T) {
	if w.cmd.ProcessState != nil || w.done == nil {
		return
	}
	w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-w.done:
		if err != nil {
			t.Errorf("stand-in exit after SIGTERM: %v\n%s", err, w.logText())
		}
	case <-time.After(30 * time.Second):
		w.cmd.Process.Kill()
		<-w.done
		t.Errorf("stand-in ignored SIGTERM\n%s", w.logText())
	}
	w.done = nil
}

// waitGlob waits for one file matching pattern (relative to the workflow dir) and returns it.
func (w *workflowDaemon) waitGlob(t *testing.T, pattern string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m, _ := filepath.Glob(filepath.Join(w.dir, pattern)); len(m) == 1 {
			return m[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %s appeared; log:\n%s", pattern, w.logText())
	return ""
}

// drop writes a manifest elsewhere and renames it into to_be_processed/, as a writer must.
func drop(t *testing.T, dir, name string, body []byte) {
	t.Helper()
	tmp := filepath.Join(dir, "."+name+".part")
	if err := os.WriteFile(tmp, body, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "to_be_processed", name)); err != nil {
		t.Fatal(err)
	}
}

// standinManifest is an Artifact Manifest v1.0 for a boot and a data disk, as JSON; edit changes it first.
func standinManifest(t *testing.T, boot, data string, edit func(m map[string]any)) []byte {
	t.Helper()
	sum := func(p string) string {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		s := sha256.Sum256(b)
		return "sha256:" + hex.EncodeToString(s[:])
	}
	size := func(p string) int64 {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}
	m := map[string]any{
		"manifest_version": "1.0",
		"source":           map[string]any{"provider": "testprovider", "vm_id": "vm-001", "vm_name": "test-vm-1", "datacenter": "DC1", "export_timestamp": "2026-02-10T10:00:00Z"},
		"disks": []any{
			map[string]any{"id": "disk-0", "source_format": "vmdk", "bytes": size(boot), "local_path": boot, "checksum": sum(boot), "boot_order_hint": 0, "disk_type": "boot"},
			map[string]any{"id": "disk-1", "source_format": "vmdk", "bytes": size(data), "local_path": data, "checksum": sum(data), "boot_order_hint": 1, "disk_type": "data"},
		},
		"vm":       map[string]any{"cpu": 2, "mem_gb": 1, "firmware": "bios", "secureboot": false, "os_hint": "linux"},
		"nics":     []any{},
		"pipeline": map[string]any{"load": map[string]any{"source_type": "vmdk", "source_path": boot}, "inspect": map[string]any{"enabled": true}, "fix": map[string]any{"enabled": true}, "convert": map[string]any{"enabled": true, "compress": false}, "validate": map[string]any{"enabled": true}},
		"output":   map[string]any{"format": "qcow2"},
	}
	if edit != nil {
		edit(m)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readJSON reads a JSON answer the workflow has just created. hyper2kvm writes it in place
// (open, json.dump), so a file seen at once may be half-written: it is read again until it
// parses, as the daemon's own reader waits for it.
func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	var v map[string]any
	var err error
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var b []byte
		if b, err = os.ReadFile(path); err == nil {
			if err = json.Unmarshal(b, &v); err == nil {
				return v
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", path, err)
		}
	}
}

// A manifest already waiting at start and one renamed in later both go through to processed/,
// with a report naming real images in <output>/<date>/<job id>/.
func TestStandinWorkflowCompletesManifests(t *testing.T) {
	t.Parallel()
	src, dir, out := t.TempDir(), t.TempDir(), t.TempDir()
	boot := guestDisk(t, src, "vm-disk0", true, "vmdk")
	data := guestDisk(t, src, "vm-disk1", false, "vmdk")
	os.MkdirAll(filepath.Join(dir, "to_be_processed"), 0o755)
	drop(t, dir, "job-early.json", standinManifest(t, boot, data, nil))
	w := startWorkflow(t, dir, out)
	drop(t, dir, "job-late.json", standinManifest(t, boot, data, func(m map[string]any) {
		m["output"] = map[string]any{"format": "raw", "directory": filepath.Join(out, "chosen")}
	}))

	for _, tc := range []struct{ name, format, outDir string }{
		{"job-early", "qcow2", ""},
		{"job-late", "raw", filepath.Join(out, "chosen")},
	} {
		report := readJSON(t, w.waitGlob(t, "processed/*/"+tc.name+".json.report.json"))
		w.waitGlob(t, "processed/*/"+tc.name+".json")
		dated := filepath.Join(out, time.Now().Format("2006-01-02"), tc.name)
		if st, err := os.Stat(dated); err != nil || !st.IsDir() {
			t.Errorf("%s: dated output folder: %v", tc.name, err)
		}
		if tc.outDir == "" {
			tc.outDir = dated
		}
		pipeline := report["pipeline"].(map[string]any)
		stages := pipeline["stages"].(map[string]any)
		if pipeline["success"] != true || len(stages) != 5 || report["hyper2kvm_version"] != "0.2.0" {
			t.Errorf("%s: report = %v", tc.name, report)
		}
		artifacts := report["artifacts"].([]any)
		if len(artifacts) != 2 {
			t.Fatalf("%s: artifacts = %v", tc.name, artifacts)
		}
		for i, a := range artifacts {
			a := a.(map[string]any)
			want := filepath.Join(tc.outDir, []string{"disk-0", "disk-1"}[i]+"."+tc.format)
			if a["type"] != "converted_disk" || a["path"] != want || a["format"] != tc.format {
				t.Errorf("%s: artifact %d = %v, want path %s", tc.name, i, a, want)
			}
			if f := imageFormat(t, want); f != tc.format {
				t.Errorf("%s is %s", want, f)
			}
			if !sameImage(t, want, []string{boot, data}[i]) {
				t.Errorf("%s does not hold its disk", want)
			}
		}
	}
	for _, sub := range []string{"to_be_processed", "processing", "failed"} {
		if entries, _ := os.ReadDir(filepath.Join(dir, sub)); len(entries) != 0 {
			t.Errorf("%s/ holds %v", sub, entries)
		}
	}
}

// Every broken manifest lands in failed/<date>/ with an error.json naming the broken rule.
func TestStandinWorkflowFailsBrokenManifests(t *testing.T) {
	t.Parallel()
	src, dir, out := t.TempDir(), t.TempDir(), t.TempDir()
	boot := guestDisk(t, src, "vm-disk0", true, "vmdk")
	data := guestDisk(t, src, "vm-disk1", false, "vmdk")
	disk := func(i int, key string, v any) func(map[string]any) {
		return func(m map[string]any) { m["disks"].([]any)[i].(map[string]any)[key] = v }
	}
	cases := []struct {
		name string
		body []byte
		want string
	}{
		{"bad-checksum.json", standinManifest(t, boot, data, disk(1, "checksum", "sha256:"+strings.Repeat("0", 64))), "Checksum verification failed for disk disk-1"},
		{"missing-disk.json", standinManifest(t, boot, data, disk(0, "local_path", filepath.Join(src, "gone.vmdk"))), "disks[0].local_path not found: " + filepath.Join(src, "gone.vmdk")},
		{"numeric-version.json", standinManifest(t, boot, data, func(m map[string]any) { m["manifest_version"] = 1 }), "Unsupported manifest version: 1. This hyper2kvm version supports: ['1.0']"},
		{"no-load.json", standinManifest(t, boot, data, func(m map[string]any) { delete(m["pipeline"].(map[string]any), "load") }), "Unknown source_type in manifest: "},
		{"efi.json", standinManifest(t, boot, data, func(m map[string]any) { m["vm"].(map[string]any)["firmware"] = "efi" }), "vm.firmware must be one of: bios, uefi, unknown (got: 'efi')"},
		{"data-boots-first.json", standinManifest(t, boot, data, disk(1, "boot_order_hint", 0)), ""}, // disk-0 still wins the tie
		{"no-os.json", standinManifest(t, boot, data, disk(0, "boot_order_hint", 5)), "Failed to mount root filesystem"},
		{"half-written.json", []byte(`{"manifest_version": "1.0", "disks": [`), "Invalid JSON in manifest: unexpected EOF"},
	}
	os.MkdirAll(filepath.Join(dir, "to_be_processed"), 0o755)
	w := startWorkflow(t, dir, out)
	for _, tc := range cases {
		drop(t, dir, tc.name, tc.body)
	}
	for _, tc := range cases {
		if tc.want == "" {
			w.waitGlob(t, "processed/*/"+tc.name+".report.json")
			continue
		}
		errDoc := readJSON(t, w.waitGlob(t, "failed/*/"+tc.name+".error.json"))
		w.waitGlob(t, "failed/*/"+tc.name)
		jobID := strings.TrimSuffix(tc.name, ".json")
		if errDoc["error"] != tc.want || errDoc["status"] != "failed" || errDoc["job_id"] != jobID || errDoc["original_name"] != tc.name ||
			!strings.HasPrefix(errDoc["exception"].(string), "Traceback (most recent call last):") {
			t.Errorf("%s: error.json = %v\nwant error %q", tc.name, errDoc, tc.want)
		}
		if _, err := time.ParseInLocation("2006-01-02T15:04:05.000000", errDoc["failed_at"].(string), time.Local); err != nil {
			t.Errorf("%s: failed_at: %v", tc.name, err)
		}
	}
	raw, _ := os.ReadFile(w.waitGlob(t, "failed/*/efi.json.error.json"))
	if !regexp.MustCompile(`(?s)^\{\n  "job_id".*"original_name".*"failed_at".*"error".*"exception".*"status": "failed"\n\}`).Match(raw) {
		t.Errorf("error.json is not laid out as hyper2kvm writes it:\n%s", raw)
	}
}

// A name already in processing/ (left by a daemon that was killed) gets a _YYYYmmdd_HHMMSS
// suffix; the stale one stays where it is, since a restarted daemon never looks at processing/.
// A name queued once is not queued again in the same run (watchdog's handler remembers it).
func TestStandinWorkflowNameCollisionAndRequeue(t *testing.T) {
	t.Parallel()
	src, dir, out := t.TempDir(), t.TempDir(), t.TempDir()
	boot := guestDisk(t, src, "vm-disk0", true, "vmdk")
	data := guestDisk(t, src, "vm-disk1", false, "vmdk")
	body := standinManifest(t, boot, data, nil)
	for _, sub := range []string{"processing", "to_be_processed"} {
		os.MkdirAll(filepath.Join(dir, sub), 0o755)
		if err := os.WriteFile(filepath.Join(dir, sub, "job-7.json"), body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w := startWorkflow(t, dir, out)
	report := w.waitGlob(t, "processed/*/job-7_*.json.report.json")
	if !regexp.MustCompile(`/job-7_\d{8}_\d{6}\.json\.report\.json$`).MatchString(report) {
		t.Errorf("report %s lacks the collision suffix", report)
	}
	suffixed := strings.TrimSuffix(filepath.Base(report), ".json.report.json")
	if _, err := os.Stat(filepath.Join(out, time.Now().Format("2006-01-02"), suffixed, "disk-0.qcow2")); err != nil {
		t.Errorf("output folder is not named after the suffixed job id: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "processing", "job-7.json")); err != nil {
		t.Errorf("the stale manifest in processing/ moved: %v", err)
	}

	drop(t, dir, "job-8.json", body)
	w.waitGlob(t, "processed/*/job-8.json.report.json")
	drop(t, dir, "job-8.json", body) // the same name again, in the same run
	time.Sleep(time.Second)          // five polls
	if _, err := os.Stat(filepath.Join(dir, "to_be_processed", "job-8.json")); err != nil {
		t.Errorf("a name queued before was queued again: %v\n%s", err, w.logText())
	}
}

// With HYPER2KVM_STANDIN_DELAY a manifest stays in processing/ long enough to watch; SIGTERM lets
// it finish and exits 0. HYPER2KVM_STANDIN_REPORT=minimal gives hyper2kvm's fallback report.
func TestStandinWorkflowDelayStopAndMinimalReport(t *testing.T) {
	t.Parallel()
	src, dir, out := t.TempDir(), t.TempDir(), t.TempDir()
	boot := guestDisk(t, src, "vm-disk0", true, "vmdk")
	data := guestDisk(t, src, "vm-disk1", false, "vmdk")
	w := startWorkflow(t, dir, out, "HYPER2KVM_STANDIN_DELAY=2s", "HYPER2KVM_STANDIN_REPORT=minimal")
	w.waitGlob(t, "to_be_processed") // the daemon made its directories
	drop(t, dir, "job-slow.yaml", []byte(strings.ReplaceAll(string(standinManifest(t, boot, data, nil)), `"manifest_version":"1.0"`, `"manifest_version": "1.0"`)))
	w.waitGlob(t, "processing/job-slow.yaml")
	w.stop(t)
	report := readJSON(t, w.waitGlob(t, "processed/*/job-slow.yaml.report.json"))
	if len(report) != 3 || report["manifest"] != "job-slow" || report["status"] != "completed" || report["completed_at"] == nil {
		t.Errorf("report = %v", report)
	}
	if !strings.Contains(w.logText(), "Received SIGTERM") {
		t.Errorf("log:\n%s", w.logText())
	}
}
