package vcsim

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ownerFile marks a temporary directory of a simulator with the pid of its process, so that a
// later simulator can remove what a killed one (kill -9 leaves no chance to clean up) left.
const ownerFile = ".hypersdk-vcsim-owner"

// claim writes this process's pid into dir.
func claim(dir string) error {
	if dir == "" {
		return errors.New("simulator directory unknown")
	}
	return os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600)
}

// removeStaleDirs deletes the temporary directories (govmomi's govcsim-*, our hypersdk-vcsim-*)
// of simulators whose process is gone. A directory without our owner file is not ours and
// stays; so does one whose pid still runs.
func removeStaleDirs() {
	entries, err := os.ReadDir(os.TempDir())
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !(strings.HasPrefix(name, "govcsim-") || strings.HasPrefix(name, "hypersdk-vcsim-")) {
			continue
		}
		dir := filepath.Join(os.TempDir(), name)
		raw, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil || pid <= 0 || processExists(pid) {
			continue
		}
		os.RemoveAll(dir)
	}
}

func processExists(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
