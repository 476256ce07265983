// Package gcp is the Google Cloud provider: discovery of Compute Engine instances through the
// aggregated list, and export of each persistent disk through a snapshot, an image and the
// image-export builder on Cloud Build, which writes the disk to a staging bucket that the
// plugin reads back with parallel ranged reads. Everything an export makes in the project (the
// snapshot, the image, the build, the object, a VM stopped for shutdown_vm) is a hold the host
// keeps until the export deletes it or Release does. It runs inside the plugin binary.
package gcp

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/api/iterator"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Version of the provider plugin.
const Version = "0.1.0"

// Provider implements provider.Provider for Compute Engine.
type Provider struct {
	provider.UnsupportedPower

	mu       sync.Mutex
	settings Settings
	timing   timing
	c        *clients
}

var _ provider.Provider = (*Provider)(nil)

// New returns an unconfigured provider.
func New() *Provider { return &Provider{} }

func (p *Provider) Info(context.Context) (provider.Info, error) {
	return provider.Info{
		Name: "gcp", Version: Version,
		Description: "Google Cloud Compute Engine: disks exported through snapshots, images and the image-export build to Cloud Storage, downloaded in parallel",
		Capabilities: []provider.Capability{provider.CapExportRaw, provider.CapExportQCOW2, provider.CapResume,
			provider.CapShutdownVM, provider.CapHolds},
		Config:  configKeys,
		Filters: filters,
	}, nil
}

// Configure makes the clients and reads the project's zones once, so a bad credential, a
// wrong project or an unreachable endpoint fails at daemon start rather than on the first job.
func (p *Provider) Configure(ctx context.Context, cfg provider.Config) error {
	s := defaultSettings()
	if err := cfg.Decode(&s); err != nil {
		return err
	}
	t, err := s.validate()
	if err != nil {
		return err
	}
	c, err := newClients(ctx, s)
	if err != nil {
		return err
	}
	it := c.instances.AggregatedList(ctx, &computepb.AggregatedListInstancesRequest{Project: s.Project, MaxResults: ptr(uint32(1))})
	if _, err := it.Next(); err != nil && !errors.Is(err, iterator.Done) {
		c.close()
		return apiError(err, "gcp: list instances of project %s", s.Project)
	}
	p.mu.Lock()
	old := p.c
	p.settings, p.timing, p.c = s, t, c
	p.mu.Unlock()
	if old != nil {
		if err := old.close(); err != nil {
			provider.Logger(ctx).Warn("closing the previous clients", "error", err)
		}
	}
	provider.Logger(ctx).Info("configured", "project", s.Project, "zones", s.Zones, "regions", s.Regions, "staging_bucket", s.StagingBucket)
	return nil
}

func (p *Provider) configured() (*clients, Settings, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.c == nil {
		return nil, Settings{}, fmt.Errorf("gcp: %w", provider.ErrNotConfigured)
	}
	return p.c, p.settings, nil
}

func (p *Provider) timings() timing {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.timing
}

// Close closes the clients; plugin.Serve calls it when the plugin is shut down.
func (p *Provider) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	err := p.c.close()
	p.c = nil
	return err
}
