package fake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Cloud mode: with the cloud_state setting, the test provider exports the way a cloud provider
// does — the worked example of holds, checkpoints and cloud-side progress in sdk/README.md.
// Before a byte is downloaded it snapshots the VM and opens a grant on the snapshot (as Azure
// does with a SAS grant), each recorded as a hold before it is made; it reports the platform's
// own progress for each (Operation, OperationID, Percent); it checkpoints what it made; and once
// the download succeeded it deletes both and says so (Reporter.Released). A failed or cancelled
// export leaves them: the host releases them through Release, as it does after a crash.
const (
	kindSnapshot = provider.HoldSnapshot
	kindGrant    = provider.HoldGrant
	// cloudSteps is how many progress reports a cloud-side operation makes, 0% to 100%.
	cloudSteps = 5
)

// cloudCheckpoint is the resume token of a cloud-mode export: what it made. A retry starts
// over — the host has released these by then — but a provider that can reuse a snapshot
// would read it back from ExportSpec.ResumeToken.
type cloudCheckpoint struct {
	Snapshot string `json:"snapshot"`
	Grant    string `json:"grant"`
}

// holdData is what a hold carries for Release: enough to find the resource again in a
// process that never saw the export (the way a cloud provider notes a region or a disk name).
type holdData struct {
	VM string `json:"vm"`
}

// cloudPath is the state file of cloud mode, or "" outside it.
func (p *Provider) cloudPath() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.settings.CloudState
}

// prepareInCloud makes the snapshot and the grant of a cloud-mode export and returns their
// holds, to undo once the download succeeded.
func (p *Provider) prepareInCloud(ctx context.Context, spec provider.ExportSpec, vm provider.VM, r provider.Reporter, delay time.Duration) ([]provider.Hold, error) {
	path := p.cloudPath()
	data, err := json.Marshal(holdData{VM: vm.ID})
	if err != nil {
		return nil, err
	}
	suffix := newSuffix()
	snap := provider.Hold{Kind: kindSnapshot, ID: "snap-" + suffix, Description: "snapshot of " + vm.ID, Data: data}
	grant := provider.Hold{Kind: kindGrant, ID: "grant-" + suffix, Description: "read access to snapshot snap-" + suffix, Data: data}
	var made []provider.Hold
	for _, step := range []struct {
		hold      provider.Hold
		phase, op string
	}{
		{snap, provider.PhaseSnapshotting, "create snapshot of " + vm.ID},
		{grant, provider.PhaseExportingInCloud, "grant read access to the snapshot"},
	} {
		// Recorded first: once Hold returns the host has it, so whatever happens next it is
		// released. If the host cannot store it, nothing is made.
		if err := r.Hold(ctx, step.hold); err != nil {
			return made, fmt.Errorf("record the %s hold: %w", step.hold.Kind, err)
		}
		res := CloudResource{VM: vm.ID, Job: spec.JobID, Created: time.Now().UTC()}
		err := changeCloud(path, func(st *CloudState) error {
			m, err := st.resources(step.hold.Kind)
			if err == nil {
				m[step.hold.ID] = res
			}
			return err
		})
		if err != nil {
			return made, fmt.Errorf("create %s %s: %w", step.hold.Kind, step.hold.ID, err)
		}
		made = append(made, step.hold)
		if err := operate(ctx, r, step.phase, step.hold.ID, step.op, delay); err != nil {
			return made, err
		}
	}
	token, err := json.Marshal(cloudCheckpoint{Snapshot: snap.ID, Grant: grant.ID})
	if err != nil {
		return made, err
	}
	if err := r.Checkpoint(ctx, token); err != nil {
		return made, fmt.Errorf("checkpoint: %w", err)
	}
	return []provider.Hold{grant, snap}, nil
}

// operate reports a cloud-side operation's progress from 0% to 100%, as a platform's API
// reports a snapshot's or an export task's, waiting delay between reports.
func operate(ctx context.Context, r provider.Reporter, phase, id, op string, delay time.Duration) error {
	for i := 0; i < cloudSteps; i++ {
		r.Progress(provider.Progress{Phase: phase, OperationID: id, Operation: op, Percent: float64(i) * 100 / (cloudSteps - 1), Message: op})
		if i == cloudSteps-1 || delay <= 0 {
			continue
		}
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// finishInCloud deletes what the export made, once its download succeeded, and tells the host.
// What it cannot delete stays held: the host releases it.
func (p *Provider) finishInCloud(ctx context.Context, r provider.Reporter, holds []provider.Hold) {
	log := provider.Logger(ctx)
	for _, h := range holds {
		if err := p.Release(ctx, h); err != nil {
			log.Warn("cannot delete what the export made; the host will release it", "kind", h.Kind, "id", h.ID, "error", err)
			continue
		}
		if err := r.Released(ctx, h); err != nil {
			// Deleted, but the host did not store that: it releases the hold again, which
			// finds nothing to delete and succeeds.
			log.Warn("the host did not record a release", "kind", h.Kind, "id", h.ID, "error", err)
		}
	}
}

// dieMidExport is the die_mid_export setting: exit like a crashed plugin, with no cleanup.
func (p *Provider) dieMidExport(ctx context.Context) {
	p.mu.Lock()
	die := p.settings.DieMidExport && p.settings.CloudState != ""
	p.mu.Unlock()
	if die {
		provider.Logger(ctx).Error("die_mid_export is set: exiting in the middle of the export")
		os.Exit(3)
	}
}

// Release deletes the snapshot or grant a hold names. It works from the hold alone, in any
// process, and is idempotent: a resource already gone is released.
func (p *Provider) Release(ctx context.Context, h provider.Hold) error {
	p.mu.Lock()
	path, fail := p.settings.CloudState, p.settings.FailRelease
	p.mu.Unlock()
	switch {
	case path == "":
		return fmt.Errorf("%w: release %s %s: cloud_state is not set", provider.ErrNotConfigured, h.Kind, h.ID)
	case h.Kind != kindSnapshot && h.Kind != kindGrant:
		return fmt.Errorf("%w: release %s %s: the test provider makes only snapshots and grants", provider.ErrInvalidArgument, h.Kind, h.ID)
	case fail:
		return fmt.Errorf("%w: release %s %s: fail_release is set", provider.ErrUnavailable, h.Kind, h.ID)
	}
	err := changeCloud(path, func(st *CloudState) error {
		m, err := st.resources(h.Kind)
		if err == nil {
			delete(m, h.ID)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", h.Kind, h.ID, err)
	}
	provider.Logger(ctx).Info("deleted", "kind", h.Kind, "id", h.ID)
	return nil
}

var _ provider.Releaser = (*Provider)(nil)

func newSuffix() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
