package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

var suite = providertest.Suite{
	Settings:   map[string]any{"vm_count": 4, "disk_size_bytes": 1 << 20, "chunk_delay": "2ms"},
	ExportVMID: "vm-001",
}

func TestConformanceInProcess(t *testing.T) {
	providertest.Run(t, plugin.ConnectInProcess(t, fake.New()), suite)
}

func TestConformanceAsABinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "hypersdk-provider-testprovider")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	providertest.Run(t, plugin.Launch(t, bin), suite)
}

// A sparse disk is checked by its extents: 1 GiB of capacity, a few MiB of data.
func TestConformanceSparse(t *testing.T) {
	sparse := providertest.Suite{
		Settings:   map[string]any{"vm_count": 2, "disk_size_bytes": 1 << 30, "sparse_disk": true, "chunk_delay": "2ms"},
		ExportVMID: "vm-001",
	}
	providertest.Run(t, plugin.ConnectInProcess(t, fake.New()), sparse)
}
