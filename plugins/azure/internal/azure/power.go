package azure

import (
	"context"
	"fmt"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// stopVM stops a running VM for shutdown_vm — deallocated or powered off, per shutdown_mode —
// with the power hold recorded first. It returns the hold, or nil when it did not stop the VM
// (no shutdown_vm, or the VM was off already: an earlier attempt's hold, if any, still stands).
func (e *exportRun) stopVM(ctx context.Context) (*provider.Hold, error) {
	if !e.spec.Options.ShutdownVM || e.vm.PowerState != provider.PowerOn {
		if e.spec.Options.ShutdownVM {
			provider.Logger(ctx).Info("VM is off already: exported as it is", "vm", e.vm.ID)
		}
		return nil, nil
	}
	h := powerHold(e.s.SubscriptionID, e.detail.rg, e.detail.name, e.s.ShutdownMode)
	if err := e.r.Hold(ctx, h); err != nil {
		return nil, fmt.Errorf("record the power hold on %s before stopping it: %w", e.vm.ID, err)
	}
	op := "deallocate VM " + e.vm.Name
	if e.s.ShutdownMode == "power_off" {
		op = "power off VM " + e.vm.Name
	}
	report := func(pct float64) {
		pr := provider.Progress{Phase: provider.PhasePreparing, OperationID: h.ID, Operation: op, Message: op}
		if pct >= 0 {
			pr.Percent = pct
		}
		e.r.Progress(pr)
	}
	report(0)
	var err error
	if e.s.ShutdownMode == "power_off" {
		var poller *runtime.Poller[armcompute.VirtualMachinesClientPowerOffResponse]
		if poller, err = e.c.vms.BeginPowerOff(ctx, e.detail.rg, e.detail.name, &armcompute.VirtualMachinesClientBeginPowerOffOptions{SkipShutdown: to.Ptr(false)}); err == nil {
			_, err = await(ctx, poller, e.t.pollInterval, report)
		}
	} else {
		var poller *runtime.Poller[armcompute.VirtualMachinesClientDeallocateResponse]
		if poller, err = e.c.vms.BeginDeallocate(ctx, e.detail.rg, e.detail.name, nil); err == nil {
			_, err = await(ctx, poller, e.t.pollInterval, report)
		}
	}
	if err != nil {
		return &h, armError(op, err)
	}
	report(100)
	provider.Logger(ctx).Info("VM stopped for the export", "vm", e.vm.ID, "mode", e.s.ShutdownMode)
	return &h, nil
}

// startVM starts the VM again and tells the host; a VM that will not start stays held, and
// the host's Release tries again.
func (e *exportRun) startVM(ctx context.Context, h provider.Hold) {
	done, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
	defer cancel()
	d, err := decodeHoldData(h)
	if err == nil {
		err = e.p.releasePower(done, e.c, e.t, d)
	}
	if err != nil {
		provider.Logger(ctx).Warn("could not start the VM again; its hold stays for the host to release", "vm", h.ID, "error", err)
		return
	}
	if err := e.r.Released(done, h); err != nil {
		provider.Logger(ctx).Warn("the host did not store a release; it releases the hold again", "hold", h.ID, "error", err)
	}
}

// releasePower starts the hold's VM unless it is running or starting already, or gone.
func (p *Provider) releasePower(ctx context.Context, c *clients, t tuned, d holdData) error {
	iv, err := c.vms.InstanceView(ctx, d.ResourceGroup, d.VM, nil)
	if notFound(err) {
		provider.Logger(ctx).Warn("VM held stopped no longer exists; nothing to start", "vm", d.VM)
		return nil
	}
	if err != nil {
		return armError("read the power state of VM "+d.VM, err)
	}
	if powerState(iv.Statuses) == provider.PowerOn {
		return nil
	}
	poller, err := c.vms.BeginStart(ctx, d.ResourceGroup, d.VM, nil)
	if err == nil {
		_, err = await(ctx, poller, t.pollInterval, func(float64) {})
	}
	if err != nil {
		return armError("start VM "+d.VM, err)
	}
	provider.Logger(ctx).Info("VM started again: power hold released", "vm", d.VM)
	return nil
}
