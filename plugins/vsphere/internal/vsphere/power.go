package vsphere

import (
	"context"
	"fmt"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// shutdown asks the guest to shut down and waits up to timeout, then powers the VM off hard.
// A guest without VMware Tools cannot be asked, so it is powered off at once.
func shutdown(ctx context.Context, vm *object.VirtualMachine, timeout time.Duration) error {
	log := provider.Logger(ctx)
	if err := vm.ShutdownGuest(ctx); err != nil {
		log.Warn("guest shutdown refused; powering off", "vm", vm.Reference().Value, "error", err)
		return powerOff(ctx, vm)
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		state, err := vm.PowerState(ctx)
		if err != nil {
			return fmt.Errorf("read power state: %w", err)
		}
		if state == types.VirtualMachinePowerStatePoweredOff {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	log.Warn("guest did not shut down in time; powering off", "vm", vm.Reference().Value, "timeout", timeout)
	return powerOff(ctx, vm)
}

func powerOff(ctx context.Context, vm *object.VirtualMachine) error {
	task, err := vm.PowerOff(ctx)
	if err != nil {
		return fmt.Errorf("power off: %w", err)
	}
	if err := task.Wait(ctx); err != nil {
		return fmt.Errorf("power off: %w", err)
	}
	return nil
}

func powerOn(ctx context.Context, vm *object.VirtualMachine) error {
	task, err := vm.PowerOn(ctx)
	if err != nil {
		return fmt.Errorf("power on: %w", err)
	}
	if err := task.Wait(ctx); err != nil {
		return fmt.Errorf("power on: %w", err)
	}
	return nil
}
