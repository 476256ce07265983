package vcsim

import (
	"fmt"
	"net/url"
	"path"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// nfcPath is where this harness serves disk downloads; the stock /nfc/ handler cannot do Range.
const nfcPath = "/hypersdk-nfc/"

// extension is a managed object implementing the methods the stock simulator lacks. Calls to
// those methods on a VM or the OvfManager are retargeted to it by the registry's Handler hook.
type extension struct {
	self types.ManagedObjectReference
	sim  *Simulator
}

func (e *extension) Reference() types.ManagedObjectReference { return e.self }

func (s *Simulator) extend() {
	ext := &extension{self: types.ManagedObjectReference{Type: "HyperSDKExtension", Value: "hypersdk-ext-1"}, sim: s}
	reg := s.model.Map()
	reg.Put(ext)
	reg.Handler = func(ctx *simulator.Context, m *simulator.Method) (mo.Reference, types.BaseMethodFault) {
		switch m.Name {
		case "ExportVm", "CreateDescriptor":
			m.This = ext.self
		case "ShutdownGuest":
			if s.slowGuest() {
				m.This = ext.self
			}
		}
		return nil, nil
	}
}

// ExportVm exports a VM the way the simulator exports a snapshot, then points the lease's
// device URLs at this harness's NFC handler.
func (e *extension) ExportVm(ctx *simulator.Context, req *types.ExportVm) soap.HasFault {
	vm, ok := ctx.Map.Get(req.This).(*simulator.VirtualMachine)
	if !ok {
		return &methods.ExportVmBody{Fault_: simulator.Fault("", &types.ManagedObjectNotFound{Obj: req.This})}
	}
	snap := &simulator.VirtualMachineSnapshot{}
	snap.Vm = vm.Self
	snap.Config = *vm.Config
	res := snap.ExportSnapshot(ctx, &types.ExportSnapshot{This: vm.Self})
	body, ok := res.(*methods.ExportSnapshotBody)
	if !ok || body.Res == nil {
		return &methods.ExportVmBody{Fault_: res.Fault()}
	}
	leaseRef := body.Res.Returnval
	lease, ok := ctx.Session.Get(leaseRef).(*simulator.HttpNfcLease)
	if !ok {
		return &methods.ExportVmBody{Fault_: simulator.Fault("export lease vanished", &types.InvalidState{})}
	}
	files := map[string]string{}
	ctx.WithLock(lease, func() {
		info := *lease.Info
		info.DeviceUrl = append([]types.HttpNfcLeaseDeviceUrl(nil), info.DeviceUrl...)
		for i, d := range info.DeviceUrl {
			u, err := url.Parse(d.Url)
			if err != nil {
				continue
			}
			name := path.Base(u.Path)
			u.Path = nfcPath + leaseRef.Value + "/" + name
			info.DeviceUrl[i].Url = u.String()
			files[name] = e.sim.localFileFor(vm, name)
		}
		ctx.Update(lease, []types.PropertyChange{{Name: "info", Val: &info}})
	})
	e.sim.mu.Lock()
	e.sim.leases[leaseRef.Value] = files
	e.sim.mu.Unlock()
	return &methods.ExportVmBody{Res: &types.ExportVmResponse{Returnval: leaseRef}}
}

// localFileFor finds the datastore file of the VM's device backing with this base name.
func (s *Simulator) localFileFor(vm *simulator.VirtualMachine, name string) string {
	for _, dev := range vm.Config.Hardware.Device {
		b, ok := dev.GetVirtualDevice().Backing.(types.BaseVirtualDeviceFileBackingInfo)
		if !ok {
			continue
		}
		fileName := b.GetVirtualDeviceFileBackingInfo().FileName
		var p object.DatastorePath
		if p.FromString(fileName) && path.Base(p.Path) == name {
			if local, err := s.datastoreFile(fileName); err == nil {
				return local
			}
		}
	}
	return ""
}

// CreateDescriptor answers OvfManager.CreateDescriptor with an OVF built from the VM's hardware.
func (e *extension) CreateDescriptor(ctx *simulator.Context, req *types.CreateDescriptor) soap.HasFault {
	vm, ok := ctx.Map.Get(req.Obj).(*simulator.VirtualMachine)
	if !ok {
		return &methods.CreateDescriptorBody{Fault_: simulator.Fault("", &types.ManagedObjectNotFound{Obj: req.Obj})}
	}
	desc, err := describe(vm, req.Cdp)
	if err != nil {
		return &methods.CreateDescriptorBody{Fault_: simulator.Fault(err.Error(), &types.InvalidArgument{})}
	}
	return &methods.CreateDescriptorBody{Res: &types.CreateDescriptorResponse{Returnval: types.OvfCreateDescriptorResult{OvfDescriptor: desc}}}
}

func faultf(format string, args ...any) error { return fmt.Errorf(format, args...) }
