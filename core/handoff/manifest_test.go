package handoff

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// TestManifestVMIsTheAPIShape: the manifest's vm is the snake_case shape /vms/info shows and
// docs/hyper2kvm.md describes, not Go field names.
func TestManifestVMIsTheAPIShape(t *testing.T) {
	t.Parallel()
	path, err := Write(t.TempDir(), "default", Manifest{Version: 1, JobID: "job-1",
		VM: provider.VM{ID: "vm-44", Name: "test-vm-001", CPUs: 1, MemoryMB: 32, Disks: []provider.Disk{{Key: "2000", CapacityBytes: 1 << 20}}}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		VM map[string]any `json:"vm"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "name", "power_state", "cpus", "memory_mb", "secure_boot", "disks"} {
		if _, ok := got.VM[k]; !ok {
			t.Errorf("manifest vm has no %q: %s", k, raw)
		}
	}
	if _, ok := got.VM["CPUs"]; ok {
		t.Errorf("manifest vm has Go field names: %s", raw)
	}
	disk := got.VM["disks"].([]any)[0].(map[string]any)
	if disk["capacity_bytes"] != float64(1<<20) {
		t.Errorf("manifest disk = %v, want capacity_bytes", disk)
	}
}
