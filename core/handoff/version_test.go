package handoff

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The version is asked once per executable, and again once the file changes (an upgrade).
func TestVersionIsAskedOncePerExecutable(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	exe, calls := filepath.Join(dir, "hyper2kvm"), filepath.Join(dir, "calls")
	write := func(v string) {
		script := "#!/bin/sh\necho x >> " + calls + "\n[ \"$1\" = --version ] && echo " + v + "\n"
		if err := os.WriteFile(exe, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	asked := func() int {
		raw, _ := os.ReadFile(calls)
		return strings.Count(string(raw), "x")
	}
	write("0.2.0")
	ctx := context.Background()
	if v := Version(ctx, exe); v != "0.2.0" {
		t.Errorf("Version = %q", v)
	}
	if v := Version(ctx, exe); v != "0.2.0" || asked() != 1 {
		t.Errorf("Version = %q after %d runs; want one run", v, asked())
	}
	write("hyper2kvm 0.2.1")
	later := time.Now().Add(time.Minute)
	os.Chtimes(exe, later, later)
	if v := Version(ctx, exe); v != "0.2.1" || asked() != 2 {
		t.Errorf("after an upgrade Version = %q after %d runs", v, asked())
	}
	os.Chmod(exe, 0o644)
	if v := Version(ctx, exe); v != "" {
		t.Errorf("a file that is not executable has version %q", v)
	}
	if v := Version(ctx, filepath.Join(dir, "none")); v != "" {
		t.Errorf("no file has version %q", v)
	}
}

// Status lists the instances jobs default to and those with a workflow directory, with what
// waits in each and the state systemctl gives.
func TestHostStatus(t *testing.T) {
	t.Parallel()
	watch := t.TempDir()
	place(t, watch, time.Now(), map[string]string{
		"lab/to_be_processed/job-1.json": "{}", "lab/to_be_processed/job-2.json.withdrawn": "{}",
		"lab/processing/job-3_20260301_101010.json": "{}", "bad name/to_be_processed/x.json": "{}"})
	systemctl := filepath.Join(t.TempDir(), "systemctl")
	// systemctl is-active prints each unit's state; this host has no systemd to ask.
	os.WriteFile(systemctl, []byte("#!/bin/sh\n[ \"$2\" = hyper2kvm@lab.service ] && echo active && exit 0\necho inactive; exit 3\n"), 0o755)
	s := Host{Path: filepath.Join(watch, "none"), WatchDir: watch, Systemctl: systemctl, Instances: []string{"vsphere"}}.Status(context.Background())
	if s.Installed || s.Version != "" {
		t.Errorf("installed = %v, version %q", s.Installed, s.Version)
	}
	if len(s.Instances) != 2 {
		t.Fatalf("instances = %+v", s.Instances)
	}
	lab, vs := s.Instances[0], s.Instances[1]
	if lab.Instance != "lab" || lab.State != "active" || lab.Waiting != 1 || lab.Processing != 1 || lab.Service != "hyper2kvm@lab.service" {
		t.Errorf("lab = %+v", lab)
	}
	if vs.Instance != "vsphere" || vs.State != "inactive" || vs.Waiting != 0 || vs.WorkflowDir != filepath.Join(watch, "vsphere") {
		t.Errorf("vsphere = %+v", vs)
	}
}
