// Package domainxml describes a VM picture (provider.VM, from a provider or an OVF) as a libvirt
// domain for KVM: q35, virtio disks in the source's boot order and virtio NICs keeping their
// MAC addresses, UEFI with an OVMF loader and per-VM NVRAM when the source booted EFI (secure
// boot with SMM when it had secure boot), a serial console and a guest agent channel.
package domainxml

import (
	"fmt"
	"sort"

	"libvirt.org/go/libvirtxml"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Disk is a converted disk file to attach, in the VM's disk order.
type Disk struct {
	Path   string
	Format string // qcow2 or raw
}

// Firmware names the OVMF files for EFI guests.
type Firmware struct {
	Code       string // e.g. /usr/share/OVMF/OVMF_CODE_4M.fd
	SecureCode string // e.g. /usr/share/OVMF/OVMF_CODE_4M.secboot.fd
	Vars       string // template, e.g. /usr/share/OVMF/OVMF_VARS_4M.fd
	SecureVars string // template with Microsoft keys enrolled, e.g. OVMF_VARS_4M.ms.fd
}

// DebianOVMF is where Debian's ovmf package puts its files.
var DebianOVMF = Firmware{
	Code: "/usr/share/OVMF/OVMF_CODE_4M.fd", SecureCode: "/usr/share/OVMF/OVMF_CODE_4M.secboot.fd",
	Vars: "/usr/share/OVMF/OVMF_VARS_4M.fd", SecureVars: "/usr/share/OVMF/OVMF_VARS_4M.ms.fd",
}

// Options are the choices the source VM does not make.
type Options struct {
	Name       string // domain name; default the VM name
	DomainType string // kvm, or qemu (TCG) where /dev/kvm is missing
	MemoryMB   int64  // override the source's memory
	VCPUs      int32  // override the source's CPU count
	Network    string // libvirt network for every NIC; empty keeps each NIC's source network name
	Disks      []Disk // one per VM disk, same order
	NVRAMPath  string // EFI only: where this VM's variable store lives
	Firmware   Firmware
}

// Build returns the domain for vm.
func Build(vm provider.VM, o Options) (*libvirtxml.Domain, error) {
	if len(o.Disks) != len(vm.Disks) {
		return nil, fmt.Errorf("domain XML: %d disk files for %d disks", len(o.Disks), len(vm.Disks))
	}
	name := o.Name
	if name == "" {
		name = vm.Name
	}
	if name == "" {
		return nil, fmt.Errorf("domain XML: the VM has no name")
	}
	mem, cpus := pick(o.MemoryMB, vm.MemoryMB, 1024), pick(int64(o.VCPUs), int64(vm.CPUs), 1)
	if err := CheckSize(mem, cpus); err != nil {
		return nil, fmt.Errorf("domain XML: %w", err)
	}
	domType := o.DomainType
	if domType == "" {
		domType = "kvm"
	}
	d := &libvirtxml.Domain{
		Type:          domType,
		Name:          name,
		Description:   "Migrated by HyperSDK from " + describeSource(vm),
		Memory:        &libvirtxml.DomainMemory{Value: uint(mem), Unit: "MiB"},
		CurrentMemory: &libvirtxml.DomainCurrentMemory{Value: uint(mem), Unit: "MiB"},
		VCPU:          &libvirtxml.DomainVCPU{Placement: "static", Value: uint(cpus)},
		OS: &libvirtxml.DomainOS{
			Type: &libvirtxml.DomainOSType{Arch: "x86_64", Machine: "q35", Type: "hvm"},
		},
		Features:   &libvirtxml.DomainFeatureList{ACPI: &libvirtxml.DomainFeature{}, APIC: &libvirtxml.DomainFeatureAPIC{}},
		Clock:      &libvirtxml.DomainClock{Offset: "utc"},
		OnPoweroff: "destroy", OnReboot: "restart", OnCrash: "destroy",
		Devices: &libvirtxml.DomainDeviceList{},
	}
	if domType == "kvm" {
		d.CPU = &libvirtxml.DomainCPU{Mode: "host-passthrough", Check: "none"}
	}
	if vm.Firmware == provider.FirmwareEFI {
		if err := efi(d, vm, o); err != nil {
			return nil, err
		}
	}
	addDisks(d, vm, o.Disks)
	if vm.TPM {
		// An emulated TPM 2.0 (swtpm), the CRB interface a q35 guest with UEFI expects.
		d.Devices.TPMs = []libvirtxml.DomainTPM{{Model: "tpm-crb",
			Backend: &libvirtxml.DomainTPMBackend{Emulator: &libvirtxml.DomainTPMBackendEmulator{Version: "2.0"}}}}
	}
	for _, n := range vm.NICs {
		network := o.Network
		if network == "" {
			network = n.Network
		}
		iface := libvirtxml.DomainInterface{
			Source: &libvirtxml.DomainInterfaceSource{Network: &libvirtxml.DomainInterfaceSourceNetwork{Network: network}},
			Model:  &libvirtxml.DomainInterfaceModel{Type: "virtio"},
		}
		if n.MAC != "" {
			iface.MAC = &libvirtxml.DomainInterfaceMAC{Address: n.MAC}
		}
		d.Devices.Interfaces = append(d.Devices.Interfaces, iface)
	}
	port := uint(0)
	d.Devices.Serials = []libvirtxml.DomainSerial{{Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}}, Target: &libvirtxml.DomainSerialTarget{Port: &port}}}
	d.Devices.Consoles = []libvirtxml.DomainConsole{{Source: &libvirtxml.DomainChardevSource{Pty: &libvirtxml.DomainChardevSourcePty{}}, Target: &libvirtxml.DomainConsoleTarget{Type: "serial", Port: &port}}}
	d.Devices.Channels = []libvirtxml.DomainChannel{{
		Source: &libvirtxml.DomainChardevSource{UNIX: &libvirtxml.DomainChardevSourceUNIX{Mode: "bind"}},
		Target: &libvirtxml.DomainChannelTarget{VirtIO: &libvirtxml.DomainChannelTargetVirtIO{Name: "org.qemu.guest_agent.0"}},
	}}
	d.Devices.MemBalloon = &libvirtxml.DomainMemBalloon{Model: "virtio"}
	d.Devices.RNGs = []libvirtxml.DomainRNG{{Model: "virtio", Backend: &libvirtxml.DomainRNGBackend{Random: &libvirtxml.DomainRNGBackendRandom{Device: "/dev/urandom"}}}}
	return d, nil
}

func efi(d *libvirtxml.Domain, vm provider.VM, o Options) error {
	if o.NVRAMPath == "" {
		return fmt.Errorf("domain XML: an EFI guest needs an NVRAM path")
	}
	code, vars := o.Firmware.Code, o.Firmware.Vars
	if vm.SecureBoot {
		code, vars = o.Firmware.SecureCode, o.Firmware.SecureVars
		d.Features.SMM = &libvirtxml.DomainFeatureSMM{State: "on"}
	}
	if code == "" || vars == "" {
		return fmt.Errorf("domain XML: no OVMF firmware configured for an EFI guest")
	}
	d.OS.Loader = &libvirtxml.DomainLoader{Path: code, Readonly: "yes", Type: "pflash"}
	if vm.SecureBoot {
		d.OS.Loader.Secure = "yes"
	}
	d.OS.NVRam = &libvirtxml.DomainNVRam{NVRam: o.NVRAMPath, Template: vars}
	return nil
}

// addDisks attaches disks as virtio vda, vdb…; disks the source boots from get boot orders in
// the source's order, the others none.
func addDisks(d *libvirtxml.Domain, vm provider.VM, files []Disk) {
	type ranked struct{ index, order int }
	var boot []ranked
	for i, disk := range vm.Disks {
		if disk.BootOrder > 0 {
			boot = append(boot, ranked{i, int(disk.BootOrder)})
		}
	}
	sort.SliceStable(boot, func(a, b int) bool { return boot[a].order < boot[b].order })
	order := map[int]uint{}
	for rank, b := range boot {
		order[b.index] = uint(rank + 1)
	}
	for i, f := range files {
		disk := libvirtxml.DomainDisk{
			Device: "disk",
			Driver: &libvirtxml.DomainDiskDriver{Name: "qemu", Type: f.Format, Discard: "unmap"},
			Source: &libvirtxml.DomainDiskSource{File: &libvirtxml.DomainDiskSourceFile{File: f.Path}},
			// An empty backingStore tells libvirt the image stands alone: a backing file named
			// in an image's header is never opened for the guest.
			BackingStore: &libvirtxml.DomainDiskBackingStore{},
			Target:       &libvirtxml.DomainDiskTarget{Dev: "vd" + string(rune('a'+i)), Bus: "virtio"},
		}
		if n, ok := order[i]; ok {
			disk.Boot = &libvirtxml.DomainDeviceBoot{Order: n}
		}
		if sector := vm.Disks[i].SectorSize; sector > 512 {
			// The guest's partition table and filesystems are laid out in these sectors.
			disk.BlockIO = &libvirtxml.DomainDiskBlockIO{LogicalBlockSize: uint(sector), PhysicalBlockSize: uint(sector)}
		}
		d.Devices.Disks = append(d.Devices.Disks, disk)
	}
}

func pick(override, source, fallback int64) int64 {
	switch {
	case override > 0:
		return override
	case source > 0:
		return source
	}
	return fallback
}

func describeSource(vm provider.VM) string {
	s := vm.Name
	if vm.ID != "" && vm.ID != vm.Name {
		s += " (" + vm.ID + ")"
	}
	if vm.GuestOS != "" {
		s += ", guest " + vm.GuestOS
	}
	return s
}

// Marshal renders the domain as XML.
func Marshal(d *libvirtxml.Domain) (string, error) {
	return d.Marshal()
}
