package diskfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRenameMovesIntoPlace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name    string
		to      string
		wantErr error
	}{
		{name: "new name", to: filepath.Join(dir, "disk.vmdk")},
		{name: "over an older copy", to: filepath.Join(dir, "old.vmdk")},
		{name: "into a missing directory", to: filepath.Join(dir, "missing", "disk.vmdk"), wantErr: os.ErrNotExist},
	}
	if err := os.WriteFile(filepath.Join(dir, "old.vmdk"), []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		part := c.to + ".part"
		if c.wantErr != nil {
			part = filepath.Join(dir, "orphan.part")
		}
		if err := os.WriteFile(part, []byte(c.name), 0o600); err != nil {
			t.Fatal(err)
		}
		err := Rename(part, c.to)
		if c.wantErr != nil {
			if !errors.Is(err, c.wantErr) {
				t.Errorf("%s: Rename = %v, want %v", c.name, err, c.wantErr)
			}
			continue
		}
		got, rerr := os.ReadFile(c.to)
		if err != nil || rerr != nil || string(got) != c.name {
			t.Errorf("%s: Rename = %v; %s holds %q (%v)", c.name, err, c.to, got, rerr)
		}
		if _, err := os.Stat(part); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: the part file is still there", c.name)
		}
	}
	if err := SyncDir(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("SyncDir of a missing directory = %v", err)
	}
}
