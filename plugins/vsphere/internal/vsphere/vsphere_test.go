package vsphere

import (
	"context"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/vsphere/internal/vcsim"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// needQemuImg fails under CI and skips elsewhere when qemu-img, which makes the simulator's
// disks, is missing.
func needQemuImg(t testing.TB) {
	t.Helper()
	providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils; make test installs it")
}

func startSim(t testing.TB, vms int, diskMB int64) *vcsim.Simulator {
	t.Helper()
	needQemuImg(t)
	sim, err := vcsim.Start(context.Background(), vcsim.Options{VMs: vms, DiskBytes: diskMB << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

func simSettings(sim *vcsim.Simulator) map[string]any {
	return map[string]any{"host": sim.URL().String(), "username": sim.Username(), "password": sim.Password(), "insecure": true}
}

// The provider passes the SDK's conformance suite through the real gRPC boundary against a
// simulator serving real disks.
func TestConformance(t *testing.T) {
	sim := startSim(t, 2, 8)
	p := plugin.ConnectInProcess(t, New())
	providertest.Run(t, p, providertest.Suite{Settings: simSettings(sim), ExportVMID: "DC0_C0_RP0_VM0", Method: provider.MethodOVF})
}

// The SDK's holds suite through the real gRPC boundary: the lease hold is recorded before the
// lease exists, released after a good export, and left for Release after a refusal or a cancel.
// Exists is not given: the lease hold is recorded a second time once the lease has its id, and
// leases are visible only to the session that opened them. TestKilledPluginLeavesHoldsThatAFreshOneReleases
// (the plugin's main package) covers the crash.
func TestHoldsConformance(t *testing.T) {
	sim := startSim(t, 1, 8)
	providertest.RunHolds(t, plugin.ConnectInProcess(t, New()), providertest.HoldsSuite{
		Settings: simSettings(sim), ExportVMID: testVM, Method: provider.MethodVMDK,
	})
}
