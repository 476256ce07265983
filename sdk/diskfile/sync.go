package diskfile

import "os"

// Sync makes a file written by other means (a tar writer, qemu-img) durable.
func Sync(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
