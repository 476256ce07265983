package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestClaimOutputDir(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		setup    map[string]string // files in the directory before the claim; nil: no directory
		conflict bool
		after    []string // what the directory holds after the claim, sorted
	}{
		{name: "missing directory", after: []string{claimFile}},
		{name: "empty directory", setup: map[string]string{}, after: []string{claimFile}},
		{name: "disks of an earlier import", setup: map[string]string{"vm-disk0.qcow2": "in use"}, conflict: true, after: []string{"vm-disk0.qcow2"}},
		{name: "claimed by another job", setup: map[string]string{claimFile: "job-other\n", "vm-disk0.qcow2.part": "theirs"}, conflict: true, after: []string{claimFile, "vm-disk0.qcow2.part"}},
		{name: "left by an earlier attempt of this job", setup: map[string]string{claimFile: "job-me\n", "vm-disk0.qcow2.part": "mine"}, after: []string{claimFile}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "vm")
			if c.setup != nil {
				writeFiles(t, dir, c.setup)
			}
			err := claimOutputDir(dir, "job-me")
			if got := errors.Is(err, ErrConflict); got != c.conflict {
				t.Fatalf("claimOutputDir = %v, want conflict %v", err, c.conflict)
			}
			if got := dirNames(t, dir); !slices.Equal(got, c.after) {
				t.Errorf("directory holds %v, want %v", got, c.after)
			}
			for name, content := range c.setup {
				if c.conflict {
					if b, err := os.ReadFile(filepath.Join(dir, name)); err != nil || string(b) != content {
						t.Errorf("%s changed by a refused claim: %q %v", name, b, err)
					}
				}
			}
		})
	}
}

func TestAbandonOutputDirRemovesOnlyAnOwnedDirectory(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	mine, theirs, unclaimed := filepath.Join(root, "mine"), filepath.Join(root, "theirs"), filepath.Join(root, "unclaimed")
	writeFiles(t, mine, map[string]string{claimFile: "job-me\n", "a.qcow2": "x", "a.xml": "y"})
	writeFiles(t, theirs, map[string]string{claimFile: "job-other\n", "b.qcow2": "x"})
	writeFiles(t, unclaimed, map[string]string{"c.qcow2": "x"})
	for _, dir := range []string{mine, theirs, unclaimed} {
		if err := AbandonOutputDir(dir, "job-me"); err != nil {
			t.Fatalf("AbandonOutputDir(%s): %v", dir, err)
		}
	}
	if _, err := os.Stat(mine); !os.IsNotExist(err) {
		t.Errorf("the job's own directory is still there: %v", dirNames(t, mine))
	}
	if got := dirNames(t, theirs); !slices.Equal(got, []string{claimFile, "b.qcow2"}) {
		t.Errorf("another job's directory was touched: %v", got)
	}
	if got := dirNames(t, unclaimed); !slices.Equal(got, []string{"c.qcow2"}) {
		t.Errorf("an unclaimed directory was touched: %v", got)
	}
}

func TestReleaseOutputDirKeepsTheDisks(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "vm")
	if err := claimOutputDir(dir, "job-me"); err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"vm-disk0.qcow2": "disk"})
	if err := releaseOutputDir(dir); err != nil {
		t.Fatal(err)
	}
	if got := dirNames(t, dir); !slices.Equal(got, []string{"vm-disk0.qcow2"}) {
		t.Fatalf("after release: %v", got)
	}
	// Released disks belong to the VM now: the next job (or a retry) must not take them.
	if err := claimOutputDir(dir, "job-me"); !errors.Is(err, ErrConflict) {
		t.Fatalf("claim of a released directory = %v, want a conflict", err)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

// dirNames lists dir, sorted by name (as os.ReadDir returns it).
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
