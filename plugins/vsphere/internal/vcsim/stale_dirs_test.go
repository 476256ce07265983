package vcsim

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

func TestRemoveStaleDirsTakesOnlyWhatDeadSimulatorsLeft(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	dirs := map[string]string{ // name -> owner pid written, "" for none
		"govcsim-dead":        strconv.Itoa(dead.Process.Pid),
		"hypersdk-vcsim-dead": strconv.Itoa(dead.Process.Pid),
		"govcsim-alive":       strconv.Itoa(os.Getpid()),
		"govcsim-not-ours":    "",
		"something-else-dead": strconv.Itoa(dead.Process.Pid),
		"hypersdk-vcsim-junk": "not a pid",
	}
	for name, owner := range dirs {
		os.Mkdir(filepath.Join(tmp, name), 0o700)
		if owner != "" {
			os.WriteFile(filepath.Join(tmp, name, ownerFile), []byte(owner), 0o600)
		}
	}
	removeStaleDirs()
	for name := range dirs {
		_, err := os.Stat(filepath.Join(tmp, name))
		gone := os.IsNotExist(err)
		if want := name == "govcsim-dead" || name == "hypersdk-vcsim-dead"; gone != want {
			t.Errorf("%s: removed = %v, want %v", name, gone, want)
		}
	}
}
