package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/oci/internal/ocifake"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// The built plugin binary, pointed at the stand-in (which verifies every request's
// signature), passes the conformance and holds suites; a second binary killed -9 while its
// image export's work request runs leaves the image and the export that the first, a process
// that never saw them, releases: it waits for the export to end, then deletes image and object.
func TestBinaryConformance(t *testing.T) {
	providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils; make test installs it")
	bin := filepath.Join(t.TempDir(), "hypersdk-provider-oci")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	c := ocifake.Start(t)
	vm := c.AddInstance(ocifake.Instance{Name: "vm-1", Boot: make([]byte, 4<<20)})
	p := plugin.Launch(t, bin)
	settings := c.Settings()
	settings["download_workers"] = 2
	providertest.Run(t, p, providertest.Suite{Settings: settings, ExportVMID: vm, Method: provider.MethodQCOW2})
	crash := killedMidExport(t, bin, c)
	providertest.RunHolds(t, p, providertest.HoldsSuite{Settings: settings, ExportVMID: vm, Method: provider.MethodQCOW2, Exists: existsIn(c),
		Crashing: crash, CrashSettings: settings})
	if left := crash.leftAtKill(); left[0] != 1 {
		t.Errorf("the killed plugin left %d images; want its image mid-export", left[0])
	}
	if images, _, pars := c.Counts(); images+pars > 0 {
		t.Errorf("left in the tenancy: %d images, %d PARs", images, pars)
	}
}
