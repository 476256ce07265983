package vcsim

import (
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// A real guest takes a while to shut down after ShutdownGuest, or ignores it; the stock
// simulator's guest is off at once. With Faults.GuestShutdown set, the extension answers
// ShutdownGuest the way vCenter does — at once, the VM still on — and powers the VM off that
// much later, or never.

// ShutdownGuest starts a slow guest shutdown (see Faults.GuestShutdown).
func (e *extension) ShutdownGuest(ctx *simulator.Context, req *types.ShutdownGuest) soap.HasFault {
	vm, ok := ctx.Map.Get(req.This).(*simulator.VirtualMachine)
	if !ok {
		return &methods.ShutdownGuestBody{Fault_: simulator.Fault("", &types.ManagedObjectNotFound{Obj: req.This})}
	}
	var state types.VirtualMachinePowerState
	ctx.WithLock(vm, func() { state = vm.Runtime.PowerState })
	if state != types.VirtualMachinePowerStatePoweredOn {
		return &methods.ShutdownGuestBody{Fault_: simulator.Fault("", &types.InvalidPowerState{
			RequestedState: types.VirtualMachinePowerStatePoweredOn, ExistingState: state})}
	}
	s := e.sim
	s.mu.Lock()
	defer s.mu.Unlock()
	s.guestShutdowns++
	if after := s.faults.GuestShutdown; after > 0 {
		s.timers = append(s.timers, time.AfterFunc(after, func() {
			ctx.WithLock(vm, func() {
				if vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn {
					ctx.Update(vm, []types.PropertyChange{
						{Name: "runtime.powerState", Val: types.VirtualMachinePowerStatePoweredOff},
						{Name: "summary.runtime.powerState", Val: types.VirtualMachinePowerStatePoweredOff},
					})
				}
			})
		}))
	}
	return &methods.ShutdownGuestBody{Res: &types.ShutdownGuestResponse{}}
}

// slowGuest says whether guests shut down the slow way now.
func (s *Simulator) slowGuest() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults.GuestShutdown != 0
}

// GuestShutdowns counts the ShutdownGuest calls the slow guests accepted.
func (s *Simulator) GuestShutdowns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.guestShutdowns
}

// stopGuests cancels the shutdowns still to come.
func (s *Simulator) stopGuests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.timers {
		t.Stop()
	}
	s.timers = nil
}
