// Command slowstart is the test provider with a Configure that never finishes (as a provider's
// login to an endpoint that does not answer), so the plugin never becomes ready: the daemon's
// tests check that a request needing what it supports is a 503 naming it, not a 400.
package main

import (
	"context"

	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

type slow struct{ *fake.Provider }

func (s slow) Info(ctx context.Context) (provider.Info, error) {
	info, err := s.Provider.Info(ctx)
	info.Name = "slowstart"
	return info, err
}

func (slow) Configure(ctx context.Context, _ provider.Config) error {
	<-ctx.Done()
	return ctx.Err()
}

func main() { plugin.Serve(slow{fake.New()}) }
