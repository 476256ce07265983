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
	manifests, _ := filepath.Glob(filepath.Join(watch, "vsphere", "*.json"))
	if len(manifests) != 1 {
		t.Errorf("hand-off manifests in the vsphere watch directory: %v", manifests)
	}
	untouched()
}

// guardUntouched returns a check that fails the test if path changed meanwhile. A tree already
// at path (a user's) must keep every entry, size and modification time; where nothing exists a
// sentinel file is placed first, must survive, and is removed afterwards with the directories
// made for it — only those.
func guardUntouched(t *testing.T, path string) (check func()) {
	t.Helper()
	if _, err := os.Lstat(path); errors.Is(err, fs.ErrNotExist) {
		if err := placeSentinel(t, path); err != nil {
			t.Logf("cannot place a sentinel at %s, so nothing of ours can be lost there: %v", path, err)
			return func() {}
		}
	}
	before, err := treeState(path)
	if err != nil {
		t.Fatalf("read %s before the test: %v", path, err)
	}
	return func() {
		t.Helper()
		after, err := treeState(path)
		if err != nil || after != before {
			t.Errorf("the test changed %s, which it did not create:\nbefore:\n%safter (%v):\n%s", path, before, err, after)
		}
	}
}

// placeSentinel makes path (a directory) with one file in it, and removes both, and every
// parent it had to make, when the test ends.
func placeSentinel(t *testing.T, path string) error {
	var made []string
	for dir := path; ; dir = filepath.Dir(dir) {
		if _, err := os.Lstat(dir); err == nil || !errors.Is(err, fs.ErrNotExist) {
			break
		}
		made = append(made, dir)
	}
	sentinel := filepath.Join(path, "sentinel-"+t.Name())
	t.Cleanup(func() {
		os.Remove(sentinel)
		for _, dir := range made { // deepest first; a directory someone else filled stays
			os.Remove(dir)
		}
	})
	if err := os.MkdirAll(path, 0o755); err != nil {
		return err
	}
	return os.WriteFile(sentinel, []byte("must survive "+t.Name()+"\n"), 0o644)
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
