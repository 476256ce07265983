package fake

import (
	"fmt"
	"slices"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// A real guest's disks are not all alike: the one it boots from holds a partition table, and
// the others hold data only — which a tool that inspects the guest (hyper2kvm's fixer) can tell
// apart. With boot_sector each VM's boot disk ends its first sector with the MBR boot
// signature (0x55 0xAA at byte 510), the mark of a disk an operating system was installed on;
// the pattern stays as it is everywhere else. data_disks gives each VM that many more disks,
// after the boot disk and not in its boot order, whose content never carries the signature.

// maxDataDisks bounds data_disks: a VM's SCSI controller holds 15 disks besides the boot disk.
const maxDataDisks = 15

// dataDisks are the data disks of VM id: disk 1 to n, on the boot disk's controller.
func dataDisks(id string, n int, size int64) []provider.Disk {
	disks := make([]provider.Disk, 0, n)
	for i := 1; i <= n; i++ {
		disks = append(disks, provider.Disk{Key: fmt.Sprint(2000 + i), Label: fmt.Sprintf("Hard disk %d", i+1),
			CapacityBytes: size, Controller: "scsi", ControllerModel: "pvscsi", Unit: int32(i),
			Source: fmt.Sprintf("[datastore1] %s/%s_%d.vmdk", id, id, i)})
	}
	return disks
}

// bootSector says whether disk d is written with the MBR boot signature.
func (p *Provider) bootSector(d provider.Disk) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.settings.BootSector && d.BootOrder > 0
}

// firstChunk is the first chunk of a disk as written: chunk itself, or with boot a copy whose
// first sector ends in the MBR boot signature.
func firstChunk(chunk []byte, boot bool) []byte {
	if !boot || len(chunk) < 512 {
		return chunk
	}
	c := slices.Clone(chunk)
	c[510], c[511] = 0x55, 0xAA
	return c
}
