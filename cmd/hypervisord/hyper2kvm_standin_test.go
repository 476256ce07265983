package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// The hyper2kvm stand-in (testdata/hyper2kvm, documented in its main.go) replaces the real tool in
// hand-off tests. It converts with qemu-img, so a test using it needs qemu-img too. To check a
// manifest without running it, call h2kmanifest.Validate (internal/h2kmanifest).
var standin struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

// buildHyper2KVM builds the stand-in once per test process and returns the path of a binary named
// hyper2kvm (in the directory TestMain removes at the end).
func buildHyper2KVM(t testing.TB) string {
	t.Helper()
	providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils; make test installs it")
	standin.once.Do(func() {
		standin.path = filepath.Join(filepath.Dir(daemonBin), "hyper2kvm-standin", "hyper2kvm")
		standin.out, standin.err = exec.Command("go", "build", "-o", standin.path, "./testdata/hyper2kvm").CombinedOutput()
	})
	if standin.err != nil {
		t.Fatalf("build the hyper2kvm stand-in: %v\n%s", standin.err, standin.out)
	}
	return standin.path
}

// runStandin runs the stand-in to completion and returns its output and exit code.
func runStandin(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(buildHyper2KVM(t), args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// guestDisk writes a 1 MiB disk in format (raw, vmdk as streamOptimized, qcow2); a boot disk's
// first sector ends in the MBR boot signature, the stand-in fixer's mark of an installed guest.
func guestDisk(t *testing.T, dir, name string, boot bool, format string) string {
	t.Helper()
	content := make([]byte, 1<<20)
	for i := range content {
		content[i] = byte(i * 7)
	}
	if boot {
		content[510], content[511] = 0x55, 0xAA
	}
	raw := filepath.Join(dir, name+".raw")
	if err := os.WriteFile(raw, content, 0o644); err != nil {
		t.Fatal(err)
	}
	if format == "raw" {
		return raw
	}
	path := filepath.Join(dir, name+"."+format)
	args := []string{"convert", "-f", "raw", "-O", format}
	if format == "vmdk" {
		args = append(args, "-o", "subformat=streamOptimized")
	}
	if out, err := exec.Command("qemu-img", append(args, raw, path)...).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img: %v\n%s", err, out)
	}
	os.Remove(raw)
	return path
}

// sameImage reports whether two images hold the same guest content (qemu-img compare).
func sameImage(t *testing.T, a, b string) bool {
	t.Helper()
	err := exec.Command("qemu-img", "compare", a, b).Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatal(err)
	}
	return err == nil
}

// imageFormat is the format qemu-img finds in path.
func imageFormat(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("qemu-img", "info", "--output=json", path).Output()
	if err != nil {
		t.Fatalf("qemu-img info %s: %v", path, err)
	}
	var info struct {
		Format string `json:"format"`
	}
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatal(err)
	}
	return info.Format
}
