// Package vsphere is the vSphere provider: discovery through the property collector and the
// tagging API, and export through ExportVm's NFC lease, downloading every disk into the job's
// directory with parallel, resumable, retried transfers. What an export changes in vCenter (a VM
// powered off for shutdown_vm, the lease) is a hold the host keeps until the export undoes it or
// Release does. It runs inside the plugin binary.
package vsphere

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/hypersdk/hypersdk/plugins/vsphere/internal/vcsim"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Version of the provider plugin.
const Version = "0.1.0"

// Provider implements provider.Provider for vCenter and ESXi.
type Provider struct {
	provider.UnsupportedPower

	mu              sync.Mutex
	settings        Settings
	shutdownTimeout time.Duration
	pool            *sessionPool
	sim             *vcsim.Simulator
	// keepAlive overrides leaseKeepAlive when set (tests make it short).
	keepAlive time.Duration
}

var _ provider.Provider = (*Provider)(nil)

// New returns an unconfigured provider.
func New() *Provider { return &Provider{} }

func (p *Provider) Info(context.Context) (provider.Info, error) {
	return provider.Info{
		Name: "vsphere", Version: Version,
		Description: "VMware vSphere (vCenter/ESXi) through govmomi: NFC lease export of OVF and VMDK",
		Capabilities: []provider.Capability{provider.CapExportOVA, provider.CapExportOVF, provider.CapExportVMDK,
			provider.CapResume, provider.CapShutdownVM, provider.CapRemoveCDROM, provider.CapHolds},
		Config:  configKeys,
		Filters: filters,
	}, nil
}

// Configure connects (or starts the embedded simulator) and logs in once, so bad credentials
// fail at daemon start rather than on the first job.
func (p *Provider) Configure(ctx context.Context, cfg provider.Config) error {
	s := defaultSettings()
	if err := cfg.Decode(&s); err != nil {
		return err
	}
	shutdown, err := s.validate()
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pool != nil {
		p.pool.close(ctx)
		p.pool = nil
	}
	if p.sim != nil {
		p.sim.Close()
		p.sim = nil
	}
	var u *url.URL
	if s.Simulator {
		sim, err := vcsim.Start(ctx, vcsim.Options{VMs: s.SimulatorVMs, DiskBytes: s.SimulatorDiskMB << 20, NamePrefix: s.SimulatorNamePrefix})
		if err != nil {
			return fmt.Errorf("start the embedded vCenter simulator: %w", err)
		}
		p.sim = sim
		u = sim.URL()
		s.Username, s.Password = sim.Username(), sim.Password()
		s.Insecure = true
		provider.Logger(ctx).Info("embedded vCenter simulator started", "url", u.Redacted(), "vms", s.SimulatorVMs, "disk_mb", s.SimulatorDiskMB)
	} else {
		u, err = sdkURL(s.Host)
		if err != nil {
			return err
		}
	}
	pool, err := newSessionPool(ctx, u, s)
	if err != nil {
		return err
	}
	p.settings, p.shutdownTimeout, p.pool = s, shutdown, pool
	provider.Logger(ctx).Info("connected to vCenter", "host", u.Host, "user", s.Username, "pool", s.ConnectionPoolSize)
	return nil
}

// sdkURL accepts "vcenter.example.com", "host:443" or a full https://host/sdk URL.
func sdkURL(host string) (*url.URL, error) {
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	u, err := url.Parse(host)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w: providers.vsphere.host %q is not a host name or URL", provider.ErrInvalidArgument, host)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/sdk"
	}
	u.User = nil
	return u, nil
}

func (p *Provider) sessions() (*sessionPool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pool == nil {
		return nil, fmt.Errorf("vsphere: %w", provider.ErrNotConfigured)
	}
	return p.pool, nil
}

func (p *Provider) ListVMs(ctx context.Context, f provider.Filter) ([]provider.VM, error) {
	pool, err := p.sessions()
	if err != nil {
		return nil, err
	}
	var vms []provider.VM
	err = pool.do(ctx, func(c *conn) (e error) {
		vms, e = p.listVMs(ctx, c, f)
		return e
	})
	return vms, err
}

func (p *Provider) GetVM(ctx context.Context, id string) (provider.VM, error) {
	pool, err := p.sessions()
	if err != nil {
		return provider.VM{}, err
	}
	var vm provider.VM
	err = pool.do(ctx, func(c *conn) (e error) {
		vm, _, e = p.getVM(ctx, c, id)
		return e
	})
	return vm, err
}

// Close logs out of vCenter and stops the embedded simulator, removing its files. plugin.Serve
// calls it when the plugin is shut down.
func (p *Provider) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.pool != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p.pool.close(ctx)
		p.pool = nil
	}
	if p.sim != nil {
		p.sim.Close()
		p.sim = nil
	}
	return nil
}
