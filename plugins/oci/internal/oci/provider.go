// Package oci is the Oracle Cloud Infrastructure provider: discovery of Compute instances
// across compartments, and export of an instance's boot volume as a custom image that
// ExportImage writes to a staging bucket (QCOW2 by default, so no conversion follows), read
// back with parallel ranged GETs. The image, the object and a pre-authenticated request
// are holds the host keeps until the export deletes them or Release does. Attached block
// volumes are not part of a custom image: the export names them, or refuses with
// require_all_disks. It runs inside the plugin binary.
package oci

import (
	"context"
	"fmt"
	"sync"

	"github.com/oracle/oci-go-sdk/v65/identity"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Version of the provider plugin.
const Version = "0.1.0"

// Provider implements provider.Provider for OCI Compute.
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

// Info declares the export method written natively: qcow2 (the default export_format) or
// vmdk; with VHD the host converts.
func (p *Provider) Info(context.Context) (provider.Info, error) {
	p.mu.Lock()
	format := p.settings.ExportFormat
	p.mu.Unlock()
	caps := []provider.Capability{provider.CapResume, provider.CapHolds}
	switch format {
	case "", "QCOW2":
		caps = append(caps, provider.CapExportQCOW2)
	case "VMDK":
		caps = append(caps, provider.CapExportVMDK)
	}
	return provider.Info{
		Name: "oci", Version: Version,
		Description:  "Oracle Cloud Infrastructure Compute: boot volumes exported as custom images to Object Storage (QCOW2), downloaded with parallel ranged GETs",
		Capabilities: caps,
		Config:       configKeys,
		Filters:      filters,
	}, nil
}

// Configure makes the clients and reads the tenancy's availability domains once, so a bad
// key, a wrong tenancy or an unreachable endpoint fails at daemon start rather than on the
// first job.
func (p *Provider) Configure(ctx context.Context, cfg provider.Config) error {
	s := defaultSettings()
	if err := cfg.Decode(&s); err != nil {
		return err
	}
	t, err := s.validate()
	if err != nil {
		return err
	}
	c, err := newClients(s)
	if err != nil {
		return err
	}
	if _, err := c.identity.ListAvailabilityDomains(ctx, identity.ListAvailabilityDomainsRequest{CompartmentId: &s.Tenancy}); err != nil {
		return apiError(err, "oci: list the availability domains of tenancy %s", s.Tenancy)
	}
	p.mu.Lock()
	p.settings, p.timing, p.c = s, t, c
	p.mu.Unlock()
	provider.Logger(ctx).Info("configured", "tenancy", s.Tenancy, "region", s.Region, "auth", s.Auth,
		"compartments", s.Compartments, "staging", s.StagingNamespace+"/"+s.StagingBucket, "export_format", s.ExportFormat)
	return nil
}

func (p *Provider) configured() (*clients, Settings, timing, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.c == nil {
		return nil, Settings{}, timing{}, fmt.Errorf("oci: %w", provider.ErrNotConfigured)
	}
	return p.c, p.settings, p.timing, nil
}
