package diskfile

import (
	"fmt"
	"os"
)

// RenameNoReplace moves a finished file from oldpath to newpath, failing with an error that
// wraps os.ErrExist — and leaving both files as they were — when newpath already exists. A
// plain rename would silently replace newpath: a disk in use, another job's output. Where the
// kernel or filesystem cannot rename without replacing, the file is hard-linked to newpath
// (which also fails if newpath exists) and then unlinked from oldpath.
func RenameNoReplace(oldpath, newpath string) error {
	return renameNoReplace(oldpath, newpath)
}

// linkThenRemove is RenameNoReplace by link and unlink, atomic in that newpath is either absent
// or the complete file; for a moment the file has both names.
func linkThenRemove(oldpath, newpath string) error {
	if err := os.Link(oldpath, newpath); err != nil {
		return err
	}
	if err := os.Remove(oldpath); err != nil {
		if uerr := os.Remove(newpath); uerr != nil {
			return fmt.Errorf("rename %s to %s: %w (and %s is left with both names: %w)", oldpath, newpath, err, newpath, uerr)
		}
		return fmt.Errorf("rename %s to %s: %w", oldpath, newpath, err)
	}
	return nil
}
