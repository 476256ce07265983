package main

import (
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/gcp/internal/gcpfake"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// The built plugin binary, pointed at the Compute Engine and Cloud Build stand-in and
// fake-gcs-server, passes the conformance and holds suites; a second binary killed -9 mid-build
// leaves a snapshot, an image and a build that the first, a process that never saw them,
// releases.
func TestBinaryConformance(t *testing.T) {
	providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils; make test installs it")
	bin := filepath.Join(t.TempDir(), "hypersdk-provider-gcp")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	c := gcpfake.Start(t, "hypersdk-test", "hypersdk-staging")
	c.AddInstance(gcpfake.Instance{Zone: "us-central1-a", Name: "vm-1", Disks: []gcpfake.Disk{{Name: "vm-1", Boot: true, SizeGB: 10, Content: make([]byte, 4<<20)}}})
	p := plugin.Launch(t, bin)
	providertest.Run(t, p, providertest.Suite{Settings: c.Settings(), ExportVMID: "us-central1-a/vm-1", Method: provider.MethodRaw})
	settings := c.Settings()
	settings["download_workers"] = 2
	c.BuildPolls = 30 // 300 ms a build: the crash below lands while it runs
	crash := killedMidBuild(t, bin, c)
	providertest.RunHolds(t, p, providertest.HoldsSuite{Settings: settings, ExportVMID: "us-central1-a/vm-1", Exists: existsIn(c),
		Crashing: crash, CrashSettings: settings})
	if left := crash.leftAtKill(); left[0] < 1 || left[1] < 1 || left[2] < 1 {
		t.Errorf("the killed plugin left %d snapshots, %d images, %d running builds; want one of each for the first process to release", left[0], left[1], left[2])
	}
	if snaps, images, running := c.Counts(); snaps+images+running > 0 {
		t.Errorf("left in the project: %d snapshots, %d images, %d running builds", snaps, images, running)
	}
}
