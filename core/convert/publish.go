package convert

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
)

// An output is never written over: the path may hold the disk of a VM defined earlier, or be
// another job's. Each step that could replace one refuses instead, with an error wrapping
// os.ErrExist — the check before any work, the exclusive temporary file, the final rename.

// refuseExisting fails early, before any work, when out is taken.
func refuseExisting(out string) error {
	if _, err := os.Lstat(out); err == nil {
		return fmt.Errorf("output %s: %w", out, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("output %s: %w", out, err)
	}
	return nil
}

// createPart creates out's temporary file, out.part, exclusively: a second conversion to out
// fails here rather than write into the first one's file.
func createPart(out string) (string, error) {
	part := out + ".part"
	f, err := os.OpenFile(part, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("output %s: another conversion is writing it (%s exists): %w", out, part, err)
	}
	if err != nil {
		return "", fmt.Errorf("output %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(part)
		return "", fmt.Errorf("output %s: %w", out, err)
	}
	return part, nil
}

// publish moves a finished file to out unless out exists, and makes the new name durable.
func publish(done, out string) error {
	if err := diskfile.RenameNoReplace(done, out); err != nil {
		return fmt.Errorf("output %s: %w", out, err)
	}
	return diskfile.SyncDir(filepath.Dir(out))
}
