package awsprovider

import (
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/plugins/aws/internal/ebsdirect"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// The provider passes the conformance and holds suites through the real gRPC boundary, against
// moto and the EBS direct server.
func TestConformanceInProcess(t *testing.T) {
	rg := newRig(t, spread(24), spread(4))
	rg.ebs.SetFaults(ebsdirect.Faults{Latency: 2 * time.Millisecond})
	p := plugin.ConnectInProcess(t, New())
	providertest.Run(t, p, providertest.Suite{Settings: rg.settings, ExportVMID: rg.instance.ID, Method: provider.MethodRaw})
	providertest.RunHolds(t, p, providertest.HoldsSuite{Settings: rg.settings, ExportVMID: rg.instance.ID, Exists: rg.exists})
}
