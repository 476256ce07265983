//go:build !linux

package diskfile

func allocAligned(n int) []byte { return Buffer(n) }

func freeAligned([]byte) {}
