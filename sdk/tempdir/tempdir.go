// Package tempdir makes temporary directories that do not outlive their process for long, even
// one killed with -9: each holds its owner's pid, and the next process to make one with the
// same prefix removes those whose owner is gone. The vSphere simulator keeps its datastores in
// them and hypervisord its plugins' sockets; a provider can do the same with its scratch space.
package tempdir

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ownerFile holds the pid of the process a directory belongs to.
const ownerFile = ".owner-pid"

// Create sweeps abandoned directories named prefix* and makes a new one for this process.
func Create(prefix string) (string, error) {
	Sweep(prefix)
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", err
	}
	if err := Claim(dir); err != nil {
		os.RemoveAll(dir)
		return "", err
	}
	return dir, nil
}

// Claim marks dir — one made by other code, such as a library — as this process's.
func Claim(dir string) error {
	if dir == "" {
		return errors.New("tempdir: no directory to claim")
	}
	return os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600)
}

// Sweep removes the directories in os.TempDir() named with one of the prefixes whose owner
// process is gone. A directory without an owner file is not ours and stays.
func Sweep(prefixes ...string) {
	entries, err := os.ReadDir(os.TempDir())
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !hasPrefix(e.Name(), prefixes) {
			continue
		}
		dir := filepath.Join(os.TempDir(), e.Name())
		raw, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil || pid <= 0 || alive(pid) {
			continue
		}
		os.RemoveAll(dir)
	}
}

func hasPrefix(name string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// alive reports whether a process with this pid exists (a zombie counts: its parent may
// still want it).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
