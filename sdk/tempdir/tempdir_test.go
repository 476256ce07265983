package tempdir

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

func TestSweepTakesOnlyWhatDeadOwnersLeft(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadPID, livePID := strconv.Itoa(dead.Process.Pid), strconv.Itoa(os.Getpid())
	dirs := []struct {
		name, owner string // owner "" writes no owner file
		removed     bool
	}{
		{"x-dead", deadPID, true},
		{"y-dead", deadPID, true},
		{"x-alive", livePID, false},
		{"x-not-ours", "", false},
		{"other-dead", deadPID, false},
		{"x-junk", "not a pid", false},
	}
	for _, d := range dirs {
		os.Mkdir(filepath.Join(tmp, d.name), 0o700)
		if d.owner != "" {
			os.WriteFile(filepath.Join(tmp, d.name, ownerFile), []byte(d.owner), 0o600)
		}
	}
	Sweep("x-", "y-")
	for _, d := range dirs {
		_, err := os.Stat(filepath.Join(tmp, d.name))
		if gone := os.IsNotExist(err); gone != d.removed {
			t.Errorf("%s: removed = %v, want %v", d.name, gone, d.removed)
		}
	}
	made, err := Create("x-")
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(made, ownerFile)); string(b) != livePID {
		t.Errorf("Create's directory is owned by %q, want %s", b, livePID)
	}
}
