package diskfile

import (
	"fmt"
	"os"
	"path/filepath"
)

// Sync makes a file written by other means (a tar writer, qemu-img) durable.
func Sync(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Rename moves a finished, synced file into place and syncs the directory, so the new name
// survives a crash: a rename is durable only once its directory is.
func Rename(oldpath, newpath string) error {
	if err := os.Rename(oldpath, newpath); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(newpath))
}

// WriteFile writes a small file durably: to path.part, synced, then renamed into place with its
// directory synced. A reader (or a crash) sees the old file or the whole new one.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	part := path + ".part"
	if err := os.WriteFile(part, data, perm); err != nil {
		return err
	}
	if err := Sync(part); err != nil {
		os.Remove(part)
		return err
	}
	return Rename(part, path)
}

// SyncDir makes the entries of a directory durable: a file created, renamed into or removed
// from dir survives a crash only once dir itself is synced.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return d.Close()
}
