package main

import (
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
