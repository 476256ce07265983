//go:build !linux

package diskfile

// openDirect is zero where O_DIRECT does not exist: files are written through the page cache.
const openDirect = 0
