// Package vmhw reads a vSphere VM's device list into the provider contract's hardware picture:
// disks with their controller and boot order, NICs, CD-ROMs. The provider and the simulator
// harness share it, so the descriptor the harness writes and the VM the provider reports agree.
package vmhw

import (
	"strconv"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// ReadDevices fills disks (with controller and boot order), NICs and CD-ROMs from a VM's devices.
func ReadDevices(vm *provider.VM, devices []types.BaseVirtualDevice, boot *types.VirtualMachineBootOptions) {
	list := object.VirtualDeviceList(devices)
	bootRank := map[int32]int32{}
	if boot != nil {
		rank := int32(0)
		for _, b := range boot.BootOrder {
			if d, ok := b.(*types.VirtualMachineBootOptionsBootableDiskDevice); ok {
				rank++
				bootRank[d.DeviceKey] = rank
			}
		}
	}
	for _, dev := range list {
		switch d := dev.(type) {
		case *types.VirtualDisk:
			disk := provider.Disk{
				Key: itoa(d.Key), Label: label(dev), CapacityBytes: d.CapacityInBytes, BootOrder: bootRank[d.Key],
			}
			if d.CapacityInBytes == 0 {
				disk.CapacityBytes = d.CapacityInKB * 1024
			}
			if d.UnitNumber != nil {
				disk.Unit = *d.UnitNumber
			}
			if b, ok := d.Backing.(types.BaseVirtualDeviceFileBackingInfo); ok {
				disk.Source = b.GetVirtualDeviceFileBackingInfo().FileName
			}
			disk.Controller, disk.ControllerModel = controllerOf(list.FindByKey(d.ControllerKey))
			vm.Disks = append(vm.Disks, disk)
		case types.BaseVirtualEthernetCard:
			card := d.GetVirtualEthernetCard()
			nic := provider.NIC{Label: label(dev), MAC: card.MacAddress, AdapterType: list.Type(dev)}
			switch b := card.Backing.(type) {
			case *types.VirtualEthernetCardNetworkBackingInfo:
				nic.Network = b.DeviceName
			case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
				nic.Network = b.Port.PortgroupKey
			}
			vm.NICs = append(vm.NICs, nic)
		case *types.VirtualCdrom:
			cd := provider.CDROM{Label: label(dev)}
			if iso, ok := d.Backing.(*types.VirtualCdromIsoBackingInfo); ok {
				cd.ISO = iso.FileName
			}
			if c := d.Connectable; c != nil {
				cd.Connected = c.Connected
			}
			vm.CDROMs = append(vm.CDROMs, cd)
		}
	}
	if len(bootRank) == 0 && len(vm.Disks) > 0 {
		vm.Disks[0].BootOrder = 1
	}
}

// label is the device's display label ("Hard disk 1"), or "".
func label(dev types.BaseVirtualDevice) string {
	if info := dev.GetVirtualDevice().DeviceInfo; info != nil {
		if d := info.GetDescription(); d != nil {
			return d.Label
		}
	}
	return ""
}

// controllerOf names a disk controller's bus and model the way the contract does.
func controllerOf(dev types.BaseVirtualDevice) (bus, model string) {
	switch dev.(type) {
	case *types.ParaVirtualSCSIController:
		return "scsi", "pvscsi"
	case *types.VirtualLsiLogicController:
		return "scsi", "lsilogic"
	case *types.VirtualLsiLogicSASController:
		return "scsi", "lsilogic-sas"
	case *types.VirtualBusLogicController:
		return "scsi", "buslogic"
	case *types.VirtualAHCIController:
		return "sata", "ahci"
	case *types.VirtualIDEController:
		return "ide", ""
	case *types.VirtualNVMEController:
		return "nvme", ""
	}
	return "", ""
}

func itoa(i int32) string { return strconv.Itoa(int(i)) }
