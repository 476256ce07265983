// Command cloudlike is the test provider dressed as a cloud for the daemon's tests: it has no
// folders to filter by and declares no export options, so the daemon's refusals of a filter
// field or an option a provider does not declare are tested through a real plugin process.
package main

import (
	"context"

	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

type cloud struct{ *fake.Provider }

func (c cloud) Info(ctx context.Context) (provider.Info, error) {
	info, err := c.Provider.Info(ctx)
	info.Name = "cloudlike"
	info.Filters = []string{provider.FilterDatacenter, provider.FilterPowerState, provider.FilterTags, provider.FilterNamePattern}
	info.Capabilities = []provider.Capability{provider.CapExportVMDK}
	return info, err
}

func main() { plugin.Serve(cloud{fake.New()}) }
