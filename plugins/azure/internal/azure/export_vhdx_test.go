package azure

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/azure/internal/armstandin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// A disk of 4096-byte logical sectors can be granted as VHDX only (the stand-in, as Azure,
// refuses a VHD grant of it): the export asks for VHDX, checks its signature, and hands the
// host a vhdx artifact that qemu-img reads back as the disk's bytes.
func TestFourKSectorDiskIsExportedAsVHDX(t *testing.T) {
	qemuImg := providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils; make test installs it")
	f := newFixture(t, armstandin.Options{})
	const size = 4 << 20
	d := armstandin.Disk{ResourceGroup: "rg-4k", Name: "ultra-os", Location: "westeurope", SizeBytes: size, SectorSize: 4096, Data: pattern(size, 5)}
	f.addDisk(d)
	f.arm.AddVM(armstandin.VM{ResourceGroup: "rg-4k", Name: "ultra", Location: "westeurope", Size: "Standard_B2s", Power: "running", OSType: "Linux", OSDisk: "ultra-os"})
	p := configured(t, f.settings)
	spec := exportSpec(t, "rg-4k/ultra")
	rec := &providertest.Recorder{}
	res, err := p.ExportVM(context.Background(), spec, rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Artifacts) != 1 {
		t.Fatalf("artifacts = %+v, want one", res.Artifacts)
	}
	a := res.Artifacts[0]
	if a.Format != provider.FormatVHDX || !strings.HasSuffix(a.Path, ".vhdx") || !a.ExtentsKnown {
		t.Fatalf("artifact = %+v, want a .vhdx of format vhdx with its extents", a)
	}
	path := filepath.Join(spec.Dir, a.Path)
	if err := provider.VerifyFileExtents(path, a); err != nil {
		t.Fatal(err)
	}
	raw := filepath.Join(t.TempDir(), "disk.raw")
	if out, err := exec.Command(qemuImg, "convert", "-f", "vhdx", "-O", "raw", path, raw).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img reads the artifact as vhdx: %v\n%s", err, out)
	}
	sameBytes(t, raw, d)
	if left := rec.Holds(); len(left) != 0 || len(f.arm.Snapshots()) != 0 {
		t.Fatalf("left behind: holds %+v, snapshots %v", left, f.arm.Snapshots())
	}
}
