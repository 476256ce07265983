package diskfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRenameNoReplace(t *testing.T) {
	t.Parallel()
	impls := map[string]func(oldpath, newpath string) error{
		"RenameNoReplace": RenameNoReplace,
		"link and unlink": linkThenRemove, // what filesystems without RENAME_NOREPLACE get
	}
	for name, rename := range impls {
		t.Run(name+"/onto nothing", func(t *testing.T) {
			dir := t.TempDir()
			oldpath, newpath := filepath.Join(dir, "a.part"), filepath.Join(dir, "a")
			os.WriteFile(oldpath, []byte("new"), 0o644)
			if err := rename(oldpath, newpath); err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(newpath); string(got) != "new" {
				t.Errorf("newpath holds %q", got)
			}
			if _, err := os.Stat(oldpath); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("oldpath still there: %v", err)
			}
		})
		t.Run(name+"/onto an existing file", func(t *testing.T) {
			dir := t.TempDir()
			oldpath, newpath := filepath.Join(dir, "a.part"), filepath.Join(dir, "a")
			os.WriteFile(oldpath, []byte("new"), 0o644)
			os.WriteFile(newpath, []byte("precious"), 0o644)
			if err := rename(oldpath, newpath); !errors.Is(err, os.ErrExist) {
				t.Fatalf("err = %v, want one wrapping os.ErrExist", err)
			}
			if got, _ := os.ReadFile(newpath); string(got) != "precious" {
				t.Errorf("newpath was replaced: %q", got)
			}
			if got, _ := os.ReadFile(oldpath); string(got) != "new" {
				t.Errorf("oldpath was lost: %q", got)
			}
		})
	}
}
