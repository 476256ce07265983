package diskfile

import (
	"math/bits"
	"sync"
	"unsafe"
)

// Large I/O buffers come from a process-wide pool and go back to it. On the virtual machines
// this project runs on, touching fresh memory costs 40 µs per 4 KiB page (about 100 MB/s,
// measured) while copying into memory already touched runs at 20+ GB/s: a 10 MiB buffer
// allocated per download or per chunk costs more than moving the data through it. Pooled
// buffers are mapped with transparent huge pages where the kernel offers them, so even their
// first touch is cheap.

// poolLimit bounds the bytes kept idle in the pool; beyond it, returned buffers are freed.
const poolLimit = 512 << 20

var pool struct {
	sync.Mutex
	free map[int][][]byte // size class (a power of two) -> idle buffers
	idle int
}

// Get returns an Align-aligned buffer of length n (its capacity is n rounded up to a power of
// two). Give it back with Put when done; one that is not given back is simply never reused.
func Get(n int) []byte {
	class := sizeClass(n)
	pool.Lock()
	if list := pool.free[class]; len(list) > 0 {
		b := list[len(list)-1]
		pool.free[class] = list[:len(list)-1]
		pool.idle -= class
		pool.Unlock()
		return b[:n]
	}
	pool.Unlock()
	return allocAligned(class)[:n]
}

// Put returns a buffer from Get to the pool. b must not be used afterwards.
func Put(b []byte) {
	class := cap(b)
	if class == 0 || class&(class-1) != 0 || !aligned(b[:1]) {
		return // not one of ours
	}
	pool.Lock()
	defer pool.Unlock()
	if pool.idle+class > poolLimit {
		freeAligned(b[:class])
		return
	}
	if pool.free == nil {
		pool.free = map[int][][]byte{}
	}
	pool.free[class] = append(pool.free[class], b[:class])
	pool.idle += class
}

// Buffer returns an Align-aligned buffer of length n that is not pooled.
func Buffer(n int) []byte {
	b := make([]byte, n+Align)
	off := int(uintptr(unsafe.Pointer(&b[0])) & (Align - 1))
	if off != 0 {
		off = Align - off
	}
	return b[off : off+n : off+n]
}

func sizeClass(n int) int {
	if n <= Align {
		return Align
	}
	return 1 << bits.Len(uint(n-1))
}
