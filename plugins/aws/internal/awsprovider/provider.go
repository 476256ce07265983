// Package awsprovider is the AWS provider: discovery of EC2 instances (DescribeInstances in
// pages, instance types cached) and export of their EBS volumes without an S3 bucket or a
// vmimport role — a crash-consistent snapshot set, then only the snapshot's written blocks read
// in parallel through the EBS direct APIs into a sparse raw file per volume. The snapshots, and
// an instance stopped for shutdown_vm, are holds the host keeps until the export undoes them or
// Release does. It runs inside the plugin binary hypersdk-provider-aws.
package awsprovider

import (
	"context"
	"fmt"
	"sync"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Version of the provider plugin.
const Version = "0.1.0"

// Provider implements provider.Provider for EC2 instances and their EBS volumes.
type Provider struct {
	provider.UnsupportedPower

	mu       sync.Mutex
	settings Settings
	timing   timing
	regions  []*regionClients // settings.allRegions(), in order
	types    *typeCache
}

var (
	_ provider.Provider = (*Provider)(nil)
	_ provider.VMPager  = (*Provider)(nil)
	_ provider.Releaser = (*Provider)(nil)
)

// New returns an unconfigured provider.
func New() *Provider { return &Provider{} }

func (p *Provider) Info(context.Context) (provider.Info, error) {
	return provider.Info{
		Name: "aws", Version: Version,
		Description: "Amazon EC2: EBS snapshots read block by block through the EBS direct APIs into sparse raw disks",
		Capabilities: []provider.Capability{provider.CapExportRaw, provider.CapResume,
			provider.CapShutdownVM, provider.CapHolds},
		Config:  configKeys,
		Filters: filters,
	}, nil
}

// Configure checks the settings and makes one set of clients per region. It calls nothing:
// credentials are resolved on the first request, so a daemon starts while AWS is unreachable.
func (p *Provider) Configure(ctx context.Context, cfg provider.Config) error {
	s := defaultSettings()
	if err := cfg.Decode(&s); err != nil {
		return err
	}
	tm, err := s.validate()
	if err != nil {
		return err
	}
	var regions []*regionClients
	for _, r := range s.allRegions() {
		c, err := newRegionClients(ctx, s, r, tm)
		if err != nil {
			return fmt.Errorf("%w: %v", provider.ErrInvalidArgument, err)
		}
		regions = append(regions, c)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.settings, p.timing, p.regions, p.types = s, tm, regions, newTypeCache()
	provider.Logger(ctx).Info("configured", "regions", s.allRegions(), "credentials", credentialSource(s),
		"ec2_endpoint", s.EC2Endpoint, "ebs_endpoint", s.EBSEndpoint, "download_workers", s.DownloadWorkers)
	return nil
}

// credentialSource says where credentials come from, for the log, without naming them.
func credentialSource(s Settings) string {
	src := "default chain"
	switch {
	case s.AccessKeyID != "":
		src = "explicit keys"
	case s.Profile != "":
		src = "profile " + s.Profile
	}
	if s.AssumeRoleARN != "" {
		src += ", then assume role " + s.AssumeRoleARN
	}
	return src
}

// state is what one call works with, taken under the lock once.
type state struct {
	settings Settings
	timing   timing
	regions  []*regionClients
	types    *typeCache
}

func (p *Provider) state() (state, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.regions == nil {
		return state{}, fmt.Errorf("aws: %w", provider.ErrNotConfigured)
	}
	return state{settings: p.settings, timing: p.timing, regions: p.regions, types: p.types}, nil
}

// region returns the clients of a configured region.
func (st state) region(name string) (*regionClients, error) {
	for _, r := range st.regions {
		if r.region == name {
			return r, nil
		}
	}
	return nil, fmt.Errorf("%w: region %s is not configured (providers.aws.region/regions)", provider.ErrInvalidArgument, name)
}
