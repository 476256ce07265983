// Package hyperv is the Hyper-V provider: discovery of a host's (or a failover cluster's)
// virtual machines with short PowerShell scripts run over WinRM, and export of a VM from a
// production checkpoint — exported by the host into a folder of the job's own on a dedicated
// read-only share, then read over SMB3 with parallel ReadAt into the job directory as VHDX
// files. The checkpoint, the export folder and a VM shut down for shutdown_vm are holds the
// host keeps until the export undoes them or Release does. It runs inside the plugin binary.
package hyperv

import (
	"context"
	"fmt"
	"sync"

	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/psscript"
	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/smbread"
	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/winrmexec"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Version of the provider plugin.
const Version = "0.1.0"

// Provider implements provider.Provider for Hyper-V.
type Provider struct {
	provider.UnsupportedPower

	mu sync.Mutex
	st *state
}

// state is what Configure builds.
type state struct {
	settings Settings
	tuned    tuned
	winrm    *winrmexec.Client
	smb      smbread.Source
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
		Name: "hyperv", Version: Version,
		Description:  "Microsoft Hyper-V: VMs exported from production checkpoints over WinRM, VHDX files read over SMB3",
		Capabilities: []provider.Capability{provider.CapResume, provider.CapShutdownVM, provider.CapHolds},
		Config:       configKeys,
		Filters:      filters,
	}, nil
}

// Configure checks the settings, then runs one listing over WinRM and mounts the export share,
// so bad credentials, an unreachable host or a missing share fail at daemon start rather than
// on the first job.
func (p *Provider) Configure(ctx context.Context, cfg provider.Config) error {
	s := defaultSettings()
	if err := cfg.Decode(&s); err != nil {
		return err
	}
	t, err := s.validate()
	if err != nil {
		return err
	}
	c, err := winrmexec.New(winrmexec.Options{Endpoint: t.endpoint, User: s.Username, Password: s.Password, Auth: s.WinRMAuth,
		Insecure: s.InsecureSkipVerify, CACert: t.caCert, OperationTimeout: t.operationTimeout})
	if err != nil {
		return fmt.Errorf("%w: providers.hyperv: %v", provider.ErrInvalidArgument, err)
	}
	smbUser, smbDomain := smbLogon(s.Username, s.Domain)
	st := &state{settings: s, tuned: t, winrm: c,
		smb: smbread.Source{Addr: t.smbAddr, Share: s.ExportShare, User: smbUser, Password: s.Password, Domain: smbDomain}}
	var probe listAnswer
	if err := c.Run(ctx, psscript.ListVMs, listParams{First: 0, Cluster: s.Cluster}, &probe); err != nil {
		return fmt.Errorf("hyperv: reach %s over WinRM: %w", t.endpoint, err)
	}
	m, err := st.smb.Dial(ctx)
	if err != nil {
		return fmt.Errorf("hyperv: the export share: %w", err)
	}
	if err := m.Close(); err != nil {
		provider.Logger(ctx).Warn("closing the probe SMB session", "error", err)
	}
	p.mu.Lock()
	p.st = st
	p.mu.Unlock()
	provider.Logger(ctx).Info("configured", "host", s.Host, "winrm", t.endpoint, "auth", s.WinRMAuth, "share", st.smb.String(), "vms", probe.Total)
	return nil
}

// configured returns the state, or ErrNotConfigured.
func (p *Provider) configured() (*state, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.st == nil {
		return nil, fmt.Errorf("hyperv: %w", provider.ErrNotConfigured)
	}
	return p.st, nil
}
