package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// holdsSuite runs the test provider in cloud mode on a state file of its own.
func holdsSuite(t *testing.T) providertest.HoldsSuite {
	state := filepath.Join(t.TempDir(), "cloud.json")
	settings := func(extra map[string]any) map[string]any {
		s := map[string]any{"vm_count": 1, "disk_size_bytes": 1 << 20, "chunk_delay": "2ms", "cloud_state": state}
		for k, v := range extra {
			s[k] = v
		}
		return s
	}
	return providertest.HoldsSuite{
		Settings: settings(nil), CrashSettings: settings(map[string]any{"die_mid_export": true}),
		ExportVMID: "vm-001",
		Exists: func(h provider.Hold) (bool, error) {
			st, err := fake.ReadCloudState(state)
			if err != nil {
				return false, err
			}
			_, snap := st.Snapshots[h.ID]
			_, grant := st.Grants[h.ID]
			return snap || grant, nil
		},
	}
}

// In process, a crash cannot be simulated (it would end the test): the binary test does it.
func TestHoldsConformanceInProcess(t *testing.T) {
	providertest.RunHolds(t, plugin.ConnectInProcess(t, fake.New()), holdsSuite(t))
}

func TestHoldsConformanceAsABinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hypersdk-provider-testprovider")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	s := holdsSuite(t)
	s.Crashing = plugin.Launch(t, bin)
	providertest.RunHolds(t, plugin.Launch(t, bin), s)
}
