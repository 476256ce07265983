package diskfile

import "syscall"

// allocAligned maps n bytes (page-aligned, so Align-aligned) and asks for huge pages.
func allocAligned(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return Buffer(n)
	}
	if n >= 2<<20 {
		_ = syscall.Madvise(b, 14) // MADV_HUGEPAGE; a hint, ignored where unsupported
	}
	return b
}

func freeAligned(b []byte) {
	if syscall.Munmap(b) != nil {
		return // a Buffer fallback: the garbage collector's
	}
}
