//go:build unix

package fake

import (
	"os"
	"syscall"
)

// lockCloud takes an exclusive lock on path, released by the returned function or by the
// process's death.
func lockCloud(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
