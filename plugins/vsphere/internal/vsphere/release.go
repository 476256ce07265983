package vsphere

import (
	"context"
	"fmt"
	"time"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/nfc"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

var _ provider.Releaser = (*Provider)(nil)

// releaseWait is how long Release waits for a pooled session before it logs in a session of its
// own: exports keep theirs for hours, and a VM must not stay off behind them.
const releaseWait = 2 * time.Second

// Release undoes one of the holds ExportVM recorded, from its Data alone, so a plugin started
// after a crash releases what the dead one held. A power hold powers the VM on unless it is on
// already (or gone), waiting for a guest that may still be shutting down (see releasePower); a
// lease hold aborts the NFC lease unless it is done, failed or gone.
func (p *Provider) Release(ctx context.Context, h provider.Hold) error {
	if h.Kind != provider.HoldPower && h.Kind != provider.HoldLease {
		return fmt.Errorf("release %s/%s: %w: vsphere makes only %s and %s holds", h.Kind, h.ID, provider.ErrUnsupported, provider.HoldPower, provider.HoldLease)
	}
	d, err := decodeHoldData(h)
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	pool, err := p.sessions()
	if err != nil {
		return err
	}
	return pool.doNow(ctx, releaseWait, func(c *conn) error {
		if err := d.sameVCenter(c, h); err != nil {
			return fmt.Errorf("release: %w", err)
		}
		if h.Kind == provider.HoldPower {
			return releasePower(ctx, c, d)
		}
		return releaseLease(ctx, c, d)
	})
}

// releasePower powers the hold's VM back on. A VM that is suspended (someone did that since) or
// deleted has nothing to undo, nor has one that is on — unless the export asked its guest to
// shut down, the VM has not been powered on since, and the guest may still be going down
// (before the hold's ShutdownBy): that is ErrUnavailable, and the host tries again later, to
// power the VM on once it is off.
func releasePower(ctx context.Context, c *conn, d holdData) error {
	log := provider.Logger(ctx).With("vm", d.VM)
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: d.VM}
	var m mo.VirtualMachine
	err := property.DefaultCollector(c.vim).RetrieveOne(ctx, ref, []string{"summary.runtime.powerState", "summary.runtime.bootTime"}, &m)
	if fault.Is(err, &types.ManagedObjectNotFound{}) {
		log.Warn("VM held powered off no longer exists; nothing to power on")
		return nil
	}
	if err != nil {
		return fmt.Errorf("release power hold: read power state of %s: %w", d.VM, err)
	}
	state := m.Summary.Runtime.PowerState
	if state == types.VirtualMachinePowerStatePoweredOn && !d.ShutdownAt.IsZero() {
		return releaseShutdown(ctx, c, d, m.Summary.Runtime.BootTime)
	}
	if state != types.VirtualMachinePowerStatePoweredOff {
		log.Info("VM held powered off is not off any more; power hold released", "state", string(state))
		return nil
	}
	if err := powerOn(ctx, object.NewVirtualMachine(c.vim, ref)); err != nil {
		// Someone (an earlier release the host did not hear back from) may have won the race.
		if now, serr := powerState(ctx, c, ref); serr == nil && now == types.VirtualMachinePowerStatePoweredOn {
			return nil
		}
		return fmt.Errorf("release power hold: %s: %w", d.VM, err)
	}
	log.Info("VM powered back on: power hold released")
	return nil
}

// releaseShutdown decides about a VM that is on although the export asked its guest to shut
// down: powered on since (by an earlier release, by someone) or past the deadline, the hold is
// released; before the deadline the guest may still be going down.
func releaseShutdown(ctx context.Context, c *conn, d holdData, booted *time.Time) error {
	log := provider.Logger(ctx).With("vm", d.VM, "shutdown_at", d.ShutdownAt, "deadline", d.ShutdownBy)
	if booted != nil && booted.After(d.ShutdownAt) {
		log.Info("VM held powered off was powered on again since; power hold released", "booted", *booted)
		return nil
	}
	now, err := vcenterTime(ctx, c)
	if err != nil {
		return fmt.Errorf("release power hold on %s: %w", d.VM, err)
	}
	if now.Before(d.ShutdownBy) {
		return fmt.Errorf("%w: power hold on %s: its guest, asked to shut down at %s, may still be shutting down (until %s); it is powered on once off",
			provider.ErrUnavailable, d.VM, d.ShutdownAt.Format(time.RFC3339), d.ShutdownBy.Format(time.RFC3339))
	}
	log.Warn("VM asked to shut down for the export is still on past its deadline: the guest refused; power hold released")
	return nil
}

func powerState(ctx context.Context, c *conn, ref types.ManagedObjectReference) (types.VirtualMachinePowerState, error) {
	var m mo.VirtualMachine
	if err := property.DefaultCollector(c.vim).RetrieveOne(ctx, ref, []string{"runtime.powerState"}, &m); err != nil {
		return "", fmt.Errorf("read power state of %s: %w", ref.Value, err)
	}
	return m.Runtime.PowerState, nil
}

// releaseLease aborts the hold's NFC lease. A hold without a lease id was recorded just before
// ExportVm and the process died before it could record the lease: that lease can't be named, and
// vCenter ends it by itself once nobody reports progress for its timeout (300 s by default).
// Leases belong to the session that opened them, so one this session cannot see is gone or
// dies with its dead owner's session: released either way.
func releaseLease(ctx context.Context, c *conn, d holdData) error {
	log := provider.Logger(ctx).With("vm", d.VM, "lease", d.Lease)
	if d.Lease == "" {
		log.Info("lease hold without a lease id: vCenter expires an unreported lease by itself")
		return nil
	}
	ref := types.ManagedObjectReference{Type: "HttpNfcLease", Value: d.Lease}
	var l mo.HttpNfcLease
	err := property.DefaultCollector(c.vim).RetrieveOne(ctx, ref, []string{"state"}, &l)
	switch {
	case fault.Is(err, &types.ManagedObjectNotFound{}):
		return nil
	case err != nil:
		return fmt.Errorf("release lease hold: read lease %s: %w", d.Lease, err)
	case l.State == types.HttpNfcLeaseStateDone || l.State == types.HttpNfcLeaseStateError:
		return nil
	}
	err = nfc.NewLease(c.vim, ref).Abort(ctx, &types.LocalizedMethodFault{LocalizedMessage: "released by hypervisord: the export is over"})
	if err != nil && !fault.Is(err, &types.ManagedObjectNotFound{}) {
		return fmt.Errorf("release lease hold: abort lease %s of %s: %w", d.Lease, d.VM, err)
	}
	log.Info("NFC lease aborted: lease hold released")
	return nil
}
