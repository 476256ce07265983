package azure

import (
	"context"
	"fmt"
	"sync"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// exportRun is one attempt at exporting a VM.
type exportRun struct {
	p      *Provider
	c      *clients
	s      Settings
	t      tuned
	spec   provider.ExportSpec
	r      provider.Reporter
	vm     provider.VM
	detail vmDetail

	mu    sync.Mutex // guards token
	token resumeToken
}

// ExportVM exports every managed disk of the VM without touching the live disks: with
// shutdown_vm the VM is stopped first (a power hold), then each disk is snapshotted (a
// snapshot hold each) and the VM started again at once; then, disk by disk, a read SAS is
// granted on the snapshot (a grant hold), the snapshot's allocated pages are read in parallel
// into a sparse raw file, and once every disk is down the grants are revoked and the snapshots
// deleted (Reporter.Released). A failed or cancelled attempt leaves its holds: a retry reuses
// the snapshots (its resume token names them and how much of each disk is written), and the
// host releases them when the job ends.
func (p *Provider) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	if err := spec.Validate(); err != nil {
		return provider.ExportResult{}, err
	}
	c, s, t, err := p.configured()
	if err != nil {
		return provider.ExportResult{}, err
	}
	vm, detail, err := p.getVM(ctx, spec.VMID)
	if err != nil {
		return provider.ExportResult{}, err
	}
	if len(detail.disks) == 0 {
		return provider.ExportResult{}, fmt.Errorf("%w: VM %s has no managed disk to export (unmanaged VHDs and ephemeral OS disks are not exported)", provider.ErrUnsupported, spec.VMID)
	}
	for _, d := range detail.disks {
		if err := exportable(d); err != nil {
			return provider.ExportResult{}, fmt.Errorf("export %s: %w", spec.VMID, err)
		}
	}
	run := &exportRun{p: p, c: c, s: s, t: t, spec: spec, r: r, vm: vm, detail: detail, token: decodeToken(spec.ResumeToken)}
	log := provider.Logger(ctx).With("vm", spec.VMID)

	power, err := run.stopVM(ctx)
	if err != nil {
		return provider.ExportResult{}, err
	}
	for i, d := range detail.disks {
		if err := run.snapshot(ctx, i, d); err != nil {
			return provider.ExportResult{}, fmt.Errorf("export %s: disk %s: %w", spec.VMID, d.name, err)
		}
	}
	if power != nil {
		// The snapshots hold the disks as they were with the VM stopped: it need not stay down
		// for the download.
		run.startVM(ctx, *power)
	}
	var arts []provider.Artifact
	for i, d := range detail.disks {
		a, err := run.download(ctx, i, d)
		if err != nil {
			return provider.ExportResult{}, fmt.Errorf("export %s: disk %s: %w", spec.VMID, d.name, err)
		}
		arts = append(arts, a)
	}
	run.cleanup(ctx)
	log.Info("exported", "disks", len(arts))
	return provider.ExportResult{VM: vm, Artifacts: arts}, nil
}

// exportable refuses a disk no SAS can be read from, saying what to change. A disk that wants
// Entra ID data access is read with the credential's token (see openBlob).
func exportable(d diskDetail) error {
	switch {
	case d.policy == armcompute.NetworkAccessPolicyDenyAll:
		return fmt.Errorf("%w: disk %s has network access policy DenyAll, so Azure grants no SAS for it or its snapshots; set it to AllowAll, or AllowPrivate with a disk access this host reaches",
			provider.ErrInvalidArgument, d.name)
	}
	return nil
}

// checkpoint hands the host the token as it is now.
func (e *exportRun) checkpoint(ctx context.Context) error {
	e.mu.Lock()
	raw := e.token.encode()
	e.mu.Unlock()
	if len(raw) > provider.MaxCheckpointBytes {
		provider.Logger(ctx).Warn("resume token too large to keep; a retry starts this disk over", "bytes", len(raw))
		return nil
	}
	if err := e.r.Checkpoint(ctx, raw); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

func (e *exportRun) state(key string) *diskState {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.token.Disks[key]
}

func (e *exportRun) setState(key string, st *diskState) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.token.Disks[key] = st
}
