// Package azure is the Azure provider: discovery of virtual machines through Azure Resource
// Manager, and export of their managed disks without touching the live disk — an incremental
// snapshot of each disk, a read SAS granted on the snapshot, and parallel ranged reads of its
// allocated pages only, into sparse raw files with their extents. What an export makes in Azure
// (the snapshot, the grant that locks it, a VM deallocated for shutdown_vm) is a hold the host
// keeps until the export undoes it or Release does. It runs inside the plugin binary.
package azure

import (
	"context"
	"fmt"
	"sync"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Version of the provider plugin.
const Version = "0.1.0"

// Provider implements provider.Provider for Azure.
type Provider struct {
	provider.UnsupportedPower

	mu       sync.Mutex
	settings Settings
	tuned    tuned
	c        *clients
	sizes    *sizeCache
	// rangeSegment is how much of a blob one Get Page Ranges call covers (tests make it small).
	rangeSegment int64
}

var (
	_ provider.Provider = (*Provider)(nil)
	_ provider.VMPager  = (*Provider)(nil)
)

// New returns an unconfigured provider.
func New() *Provider { return &Provider{rangeSegment: defaultRangeSegment} }

func (p *Provider) Info(context.Context) (provider.Info, error) {
	return provider.Info{
		Name: "azure", Version: Version,
		Description:  "Microsoft Azure: managed disks exported through incremental snapshots and read SAS grants, allocated pages only",
		Capabilities: []provider.Capability{provider.CapExportRaw, provider.CapResume, provider.CapShutdownVM, provider.CapHolds},
		Config:       configKeys,
		Filters:      filters,
	}, nil
}

// Configure builds the Resource Manager clients and gets a token once, so bad credentials fail
// at daemon start rather than on the first job.
func (p *Provider) Configure(ctx context.Context, cfg provider.Config) error {
	s := defaultSettings()
	if err := cfg.Decode(&s); err != nil {
		return err
	}
	t, err := s.validate()
	if err != nil {
		return err
	}
	c, err := newClients(s, t)
	if err != nil {
		return err
	}
	if err := c.check(ctx, s.SubscriptionID); err != nil {
		return err
	}
	p.use(s, t, c)
	provider.Logger(ctx).Info("configured", "subscription", s.SubscriptionID, "cloud", s.Cloud, "credential", s.Credential, "resource_groups", s.ResourceGroups)
	return nil
}

// use makes the provider work with settings and clients.
func (p *Provider) use(s Settings, t tuned, c *clients) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.settings, p.tuned, p.c, p.sizes = s, t, c, newSizeCache(c.sizes)
}

// configured returns the clients and settings, or ErrNotConfigured.
func (p *Provider) configured() (*clients, Settings, tuned, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.c == nil {
		return nil, Settings{}, tuned{}, fmt.Errorf("azure: %w", provider.ErrNotConfigured)
	}
	return p.c, p.settings, p.tuned, nil
}
