package oci

import (
	"testing"

	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// The provider passes the conformance suite and the holds suite through the real gRPC
// boundary against the stand-in, which verifies every request's signature.
func TestConformance(t *testing.T) {
	providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils; make test installs it")
	c, x := startCloud(t)
	settings := settingsWith(c, map[string]any{"download_workers": 2})
	p := plugin.ConnectInProcess(t, New())
	providertest.Run(t, p, providertest.Suite{Settings: settings, ExportVMID: x.worker, Method: provider.MethodQCOW2})
	providertest.RunHolds(t, p, providertest.HoldsSuite{Settings: settings, ExportVMID: x.worker, Method: provider.MethodQCOW2, Exists: exists(c)})
	par := settingsWith(c, map[string]any{"download_workers": 2, "use_par": true})
	providertest.RunHolds(t, p, providertest.HoldsSuite{Settings: par, ExportVMID: x.worker, Method: provider.MethodQCOW2, Exists: exists(c)})
	// The holds suites check every object they made is gone; Run's cancelled export leaves
	// its object to the host, which releases it when the job ends.
	if images, _, pars := c.Counts(); images+pars > 0 {
		t.Errorf("left in the tenancy: %d images, %d PARs", images, pars)
	}
}
