package provider

import "sort"

// BootRanks ranks a VM's disks by how it boots, 0 first: the disks in its boot order
// (BootOrder 1, 2, …) in that order, then the others in the order the VM lists them. A VM with
// no boot order boots from its first disk, as OVF readers and libvirt assume.
func BootRanks(disks []Disk) []int {
	idx := make([]int, len(disks))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		oa, ob := disks[idx[a]].BootOrder, disks[idx[b]].BootOrder
		if oa > 0 && ob > 0 {
			return oa < ob
		}
		return oa > 0 && ob <= 0
	})
	ranks := make([]int, len(disks))
	for rank, i := range idx {
		ranks[i] = rank
	}
	return ranks
}

// BootDisk is the index of the disk the VM boots from (ranked 0 by BootRanks); every other disk
// is a data disk. It is -1 for a VM without disks.
func (vm VM) BootDisk() int {
	for i, rank := range BootRanks(vm.Disks) {
		if rank == 0 {
			return i
		}
	}
	return -1
}
