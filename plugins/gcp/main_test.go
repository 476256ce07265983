package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/gcp/internal/gcpfake"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// The built plugin binary, pointed at the Compute Engine and Cloud Build stand-in and
// fake-gcs-server, passes the conformance suite.
func TestBinaryConformance(t *testing.T) {
	providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils; make test installs it")
	bin := filepath.Join(t.TempDir(), "hypersdk-provider-gcp")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	c := gcpfake.Start(t, "hypersdk-test", "hypersdk-staging")
	c.AddInstance(gcpfake.Instance{Zone: "us-central1-a", Name: "vm-1", Disks: []gcpfake.Disk{{Name: "vm-1", Boot: true, SizeGB: 10, Content: make([]byte, 4<<20)}}})
	providertest.Run(t, plugin.Launch(t, bin), providertest.Suite{Settings: c.Settings(), ExportVMID: "us-central1-a/vm-1", Method: provider.MethodRaw})
}
