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
		if ctx.Err() != nil {
			return fmt.Errorf("ask the guest to shut down: %w", err)
		}
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
	return waitTask(ctx, "power off", vm.PowerOff)
}

func powerOn(ctx context.Context, vm *object.VirtualMachine) error {
	return waitTask(ctx, "power on", vm.PowerOn)
}

// waitTask starts a vSphere task and waits for it to finish.
func waitTask(ctx context.Context, what string, start func(context.Context) (*object.Task, error)) error {
	task, err := start(ctx)
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
