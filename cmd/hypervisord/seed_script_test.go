package main

import (
	"fmt"
	"github.com/hypersdk/hypersdk/sdk/providertest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The user workflow document's integration script (steps 1-4, testdata/test-integration.sh)
// runs unchanged against the daemon on the embedded simulator, named as the script expects.
func TestSeedIntegrationScript(t *testing.T) {
	needQemuImg(t)
	for _, tool := range []string{"curl", "jq", "bash"} {
		providertest.NeedTool(t, tool, "apt-get install "+tool+"; make test installs it")
	}
	const exports = "/tmp/exports" // the script's export_path is /tmp/exports/test-vm-001
	os.RemoveAll(filepath.Join(exports, "test-vm-001"))
	t.Cleanup(func() { os.RemoveAll(filepath.Join(exports, "test-vm-001")) })
	watch := t.TempDir()
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
	cmd.Env = append(os.Environ(), "DAEMON_URL="+d.url)
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
}
