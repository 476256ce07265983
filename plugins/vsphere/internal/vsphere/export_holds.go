package vsphere

import (
	"context"
	"fmt"
	"time"

	"github.com/vmware/govmomi/nfc"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// What an export changes outside its directory — the VM powered off for shutdown_vm, the NFC
// lease — is recorded as a hold before it is made, and the host keeps it until the export
// undoes it and says so (Reporter.Released) or, after a failure, a cancel or a crash of the
// daemon or this plugin, until Release undoes it.

// cleanupTimeout bounds the undoing an export does on its way out, under a context that may be
// cancelled already.
const cleanupTimeout = 30 * time.Second

// powerOffForExport shuts the VM down for shutdown_vm, with the power hold recorded first: the
// VM is not touched unless the host has stored it. It returns the hold this export is
// answerable for, or nil when the VM was not powered off by it. A token from a plugin before
// holds that says the VM was powered off by an earlier attempt is adopted as such a hold.
func (p *Provider) powerOffForExport(ctx context.Context, c *conn, vmObj *object.VirtualMachine, vm provider.VM,
	spec provider.ExportSpec, token *resumeToken, r provider.Reporter) (*provider.Hold, error) {
	adopt := token.LegacyPoweredOff && vm.PowerState == provider.PowerOff
	token.LegacyPoweredOff = false
	if !adopt && (!spec.Options.ShutdownVM || vm.PowerState != provider.PowerOn) {
		if spec.Options.ShutdownVM && vm.PowerState == provider.PowerOff {
			// Off before the job, or under an earlier attempt's power hold, which the host
			// keeps until the job ends and then releases (powering the VM on): either way this
			// attempt neither holds the VM nor powers it on.
			provider.Logger(ctx).Info("VM is off already: exported as it is", "vm", vm.ID)
		}
		return nil, nil
	}
	var asked time.Time // zero when adopted: off already, no guest to wait for
	if !adopt {
		var err error
		if asked, err = vcenterTime(ctx, c); err != nil {
			return nil, fmt.Errorf("shut down %s: %w", vm.Name, err)
		}
	}
	h := powerHold(c, vmObj.Reference().Value, vm.Name, asked, p.shutdownTimeout)
	if err := r.Hold(ctx, h); err != nil {
		return nil, fmt.Errorf("record the power hold on %s before powering it off: %w", vm.Name, err)
	}
	log := provider.Logger(ctx).With("vm", vm.ID)
	if adopt {
		log.Info("VM powered off by an earlier attempt: now held, so it is powered on when the job ends")
		return &h, nil
	}
	r.Progress(provider.Progress{Phase: provider.PhasePreparing, Message: "shutting down the guest"})
	if err := shutdown(ctx, vmObj, p.shutdownTimeout); err != nil {
		// Held: Release powers the VM on once it is off, waiting up to the hold's ShutdownBy for
		// a guest that may still be going down. The export does not wait here: a cancel must
		// end it promptly, and a crash would skip the wait anyway.
		return &h, fmt.Errorf("shut down %s: %w", vm.Name, err)
	}
	log.Info("VM powered off for export")
	return &h, nil
}

// powerBackOn ends a successful export's power hold. A VM that will not power on stays held, and
// the host's Release tries again; the export itself succeeded.
func powerBackOn(ctx context.Context, vmObj *object.VirtualMachine, h provider.Hold, r provider.Reporter) {
	if err := powerOn(ctx, vmObj); err != nil {
		provider.Logger(ctx).Warn("could not power the VM back on; its hold stays for the host to release", "vm", h.ID, "error", err)
		return
	}
	provider.Logger(ctx).Info("VM powered back on after the export", "vm", h.ID)
	released(ctx, h, r)
}

// openLease opens the VM's NFC export lease as a hold recorded twice: before ExportVm, so the
// hold exists whatever happens next, and again with the lease's id as soon as vCenter names it,
// since only that id lets a later Release abort it.
func openLease(ctx context.Context, c *conn, vmObj *object.VirtualMachine, vm provider.VM, r provider.Reporter) (*nfc.Lease, provider.Hold, error) {
	h := leaseHold(c, vmObj.Reference().Value, vm.Name)
	if err := r.Hold(ctx, h); err != nil {
		return nil, h, fmt.Errorf("record the export lease hold on %s before opening it: %w", vm.Name, err)
	}
	lease, err := vmObj.Export(ctx)
	if err != nil {
		released(ctx, h, r) // no lease was made
		return nil, h, fmt.Errorf("start export of %s: %w", vm.Name, err)
	}
	named, err := withLease(h, lease.Reference().Value)
	if err == nil {
		err = r.Hold(ctx, named)
	}
	if err != nil {
		if aerr := abortLease(ctx, lease, err); aerr != nil {
			provider.Logger(ctx).Warn("could not abort an export lease the host did not record; vCenter expires it", "lease", lease.Reference().Value, "error", aerr)
		}
		return nil, h, fmt.Errorf("record export lease %s of %s: %w", lease.Reference().Value, vm.Name, err)
	}
	return lease, named, nil
}

// closeLease completes the lease after a good export or aborts it after a failed one (failure),
// then tells the host. A lease that cannot be aborted stays held, for Release to abort; one that
// cannot be completed fails the export.
func closeLease(ctx context.Context, lease *nfc.Lease, h provider.Hold, failure error, r provider.Reporter) error {
	if failure != nil {
		if err := abortLease(ctx, lease, failure); err != nil {
			provider.Logger(ctx).Warn("could not abort the export lease; its hold stays for the host to release", "lease", lease.Reference().Value, "error", err)
			return nil
		}
	} else {
		done, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
		err := lease.Complete(done)
		cancel()
		if err != nil {
			return fmt.Errorf("complete export lease %s: %w", lease.Reference().Value, err)
		}
	}
	released(ctx, h, r)
	return nil
}

func abortLease(ctx context.Context, lease *nfc.Lease, why error) error {
	done, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	return lease.Abort(done, &types.LocalizedMethodFault{LocalizedMessage: why.Error()})
}

// released tells the host a hold was undone, also on the way out of a cancelled export. When
// the host does not hear it, it keeps the hold and releases it itself, which finds nothing to do.
func released(ctx context.Context, h provider.Hold, r provider.Reporter) {
	done, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	if err := r.Released(done, h); err != nil {
		provider.Logger(ctx).Warn("the host did not store a hold's release; it releases it again", "hold", h.Kind+"/"+h.ID, "error", err)
	}
}
