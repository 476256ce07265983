package main

import (
	"testing"

	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// The built plugin binary, configured with the embedded simulator, passes the conformance suite.
func TestBinaryConformanceOnTheEmbeddedSimulator(t *testing.T) {
	providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils; make test installs it")
	providertest.Run(t, plugin.Launch(t, buildPlugin(t)), providertest.Suite{
		Settings:   map[string]any{"simulator": true, "simulator_vms": 2, "simulator_disk_mb": 8},
		ExportVMID: "DC0_C0_RP0_VM0",
		Method:     provider.MethodOVA,
	})
}
