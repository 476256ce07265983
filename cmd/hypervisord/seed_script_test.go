package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// The user workflow document's integration script (steps 1-4, testdata/test-integration.sh)
// runs unchanged against the daemon on the embedded simulator, named as the script expects.
// Its exports go to a temporary base path: the real /tmp/exports, which the script uses by
// default, may hold a user's exports and is left alone.
func TestSeedIntegrationScript(t *testing.T) {
	needQemuImg(t)
	for _, tool := range []string{"curl", "jq", "bash"} {
		providertest.NeedTool(t, tool, "apt-get install "+tool+"; make test installs it")
	}
	untouched := guardUntouched(t, "/tmp/exports/test-vm-001")
	exports, watch := t.TempDir(), t.TempDir()
	d := startDaemon(t, fmt.Sprintf(`
providers:
  vsphere:
    simulator: true
    simulator_vms: 2
    simulator_disk_mb: 16
    simulator_name_prefix: "test-vm-"
export:
  base_path: %s
hyper2kvm:
  watch_dir: %s
`, exports, watch))
	cmd := exec.Command("bash", "testdata/test-integration.sh")
	cmd.Env = append(os.Environ(), "DAEMON_URL="+d.url, "EXPORT_BASE="+exports)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("integration script failed: %v\n%s", err, out)
	}
	for _, want := range []string{`"status":"healthy"`, `"name":"test-vm-001"`, "Status: completed - Progress: 100%", "completed successfully"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("script output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(exports, "test-vm-001", "test-vm-001.ova")); err != nil {
		t.Errorf("no OVA where the script asked for it: %v", err)
	}
	manifests, _ := filepath.Glob(filepath.Join(watch, "vsphere", "to_be_processed", "*.json"))
	if len(manifests) != 1 {
		t.Errorf("hand-off manifests queued for hyper2kvm@vsphere: %v", manifests)
	}
	untouched()
}

// guardUntouched returns a check that fails the test if path changed meanwhile. It only looks:
// a tree already at path (a user's) must keep every entry, size and modification time, and
// where nothing exists nothing may exist afterwards. It never writes there — a test touches
// no path it did not create, not even to mark it.
func guardUntouched(t testing.TB, path string) (check func()) {
	t.Helper()
	before, err := treeState(path)
	absent := errors.Is(err, fs.ErrNotExist)
	if err != nil && !absent {
		t.Fatalf("read %s before the test: %v", path, err)
	}
	return func() {
		t.Helper()
		after, err := treeState(path)
		switch {
		case absent && !errors.Is(err, fs.ErrNotExist):
			t.Errorf("the test created %s, which it does not own:\n%s", path, after)
		case !absent && (err != nil || after != before):
			t.Errorf("the test changed %s, which it did not create:\nbefore:\n%safter (%v):\n%s", path, before, err, after)
		}
	}
}

// treeState lists every entry under root with its type, size and modification time.
func treeState(root string) (string, error) {
	var b strings.Builder
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(&b, "%s %v %d %d\n", p, info.Mode(), info.Size(), info.ModTime().UnixNano())
		return nil
	})
	return b.String(), err
}

// errorsOf records what a check reports instead of failing the test that runs it.
type errorsOf struct {
	testing.TB
	got []string
}

func (e *errorsOf) Errorf(format string, args ...any) {
	e.got = append(e.got, fmt.Sprintf(format, args...))
}

// guardUntouched writes nothing where it looks, and reports a tree that appeared, changed or
// vanished there.
func TestGuardUntouchedOnlyObserves(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	absent := filepath.Join(base, "exports", "test-vm-001")
	rec := &errorsOf{TB: t}
	check := guardUntouched(rec, absent)
	if _, err := os.Lstat(filepath.Join(base, "exports")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("guardUntouched made %s/exports (Lstat: %v): it must only look", base, err)
	}
	if check(); len(rec.got) != 0 {
		t.Errorf("nothing happened at %s, yet the check said %q", absent, rec.got)
	}

	present := filepath.Join(base, "user-exports")
	if err := os.MkdirAll(present, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(present, "web.ova"), []byte("a user's export"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		path   string
		change func() error
	}{
		{"a tree appeared", absent, func() error { return os.MkdirAll(absent, 0o755) }},
		{"a file vanished", present, func() error { return os.Remove(filepath.Join(present, "web.ova")) }},
	}
	for _, c := range cases {
		rec := &errorsOf{TB: t}
		check := guardUntouched(rec, c.path)
		if err := c.change(); err != nil {
			t.Fatal(err)
		}
		if check(); len(rec.got) != 1 {
			t.Errorf("%s: the check said %q, want one complaint", c.name, rec.got)
		}
	}
}
