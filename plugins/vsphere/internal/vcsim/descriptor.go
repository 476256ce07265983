package vcsim

import (
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/hypersdk/hypersdk/plugins/vsphere/internal/vmhw"
	"github.com/hypersdk/hypersdk/sdk/ovf"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// describe writes the OVF descriptor vCenter would return for vm, naming the disk files the
// caller listed in the create-descriptor parameters (in disk order).
func describe(vm *simulator.VirtualMachine, cdp types.OvfCreateDescriptorParams) (string, error) {
	pv := provider.VM{ID: vm.Self.Value, Name: vm.Name, GuestOS: vm.Config.GuestId, CPUs: vm.Config.Hardware.NumCPU,
		MemoryMB: int64(vm.Config.Hardware.MemoryMB), Firmware: provider.FirmwareBIOS}
	if vm.Config.Firmware == string(types.GuestOsDescriptorFirmwareTypeEfi) {
		pv.Firmware = provider.FirmwareEFI
	}
	vmhw.ReadDevices(&pv, vm.Config.Hardware.Device, vm.Config.BootOptions)
	var files []ovf.DiskFile
	for i, f := range cdp.OvfFiles {
		if i >= len(pv.Disks) {
			break
		}
		files = append(files, ovf.DiskFile{Disk: i, Href: f.Path, Size: f.Size, Format: ovf.FormatStreamOptimized})
	}
	if len(files) < len(pv.Disks) {
		return "", faultf("create descriptor for %s: %d disk files given for %d disks", vm.Name, len(files), len(pv.Disks))
	}
	out, err := ovf.Write(pv, files)
	return string(out), err
}
