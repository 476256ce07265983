package gcp

import (
	"testing"

	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// The provider passes the conformance suite and the holds suite through the real gRPC
// boundary, against the Compute Engine and Cloud Build stand-in and fake-gcs-server.
func TestConformance(t *testing.T) {
	providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils; make test installs it")
	c := startCloud(t)
	settings := c.Settings()
	settings["download_workers"] = 2
	p := plugin.ConnectInProcess(t, New())
	providertest.Run(t, p, providertest.Suite{Settings: settings, ExportVMID: zoneA + "/web-1", Method: provider.MethodQCOW2})
	providertest.RunHolds(t, p, providertest.HoldsSuite{Settings: settings, ExportVMID: zoneA + "/web-1", Method: provider.MethodRaw, Exists: exists(c)})
	if snaps, images, running := c.Counts(); snaps+images+running > 0 {
		t.Errorf("left in the project: %d snapshots, %d images, %d running builds", snaps, images, running)
	}
}
