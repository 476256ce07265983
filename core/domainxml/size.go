package domainxml

import "fmt"

// The largest domain Build writes. libvirt allocates per vCPU while it parses a definition,
// before any machine type refuses it: 2^31 vCPUs took a 24 GiB host's libvirtd to the OOM
// killer, and a memory size past 2^54 MiB overflows its KiB arithmetic. No source VM comes
// near these (the largest cloud VMs have a few hundred vCPUs and 24 TiB); each machine type's
// own, lower limit is still libvirt's to check.
const (
	MaxVCPUs    = 4096
	MaxMemoryMB = 64 << 20 // 64 TiB
)

// SizeError says which of a domain's sizes is out of range: Field is "memory_mb" or "vcpus".
type SizeError struct {
	Field   string
	Message string
}

func (e *SizeError) Error() string { return e.Field + " " + e.Message }

// CheckSize checks a domain's memory (MiB) and vCPU count: zero means "the source's", so each
// may be 0 up to its maximum.
func CheckSize(memoryMB, vcpus int64) error {
	switch {
	case memoryMB < 0 || memoryMB > MaxMemoryMB:
		return &SizeError{Field: "memory_mb", Message: fmt.Sprintf("must be from 1 to %d (MiB), or 0 for the source's; got %d", MaxMemoryMB, memoryMB)}
	case vcpus < 0 || vcpus > MaxVCPUs:
		return &SizeError{Field: "vcpus", Message: fmt.Sprintf("must be from 1 to %d, or 0 for the source's; got %d", MaxVCPUs, vcpus)}
	}
	return nil
}
