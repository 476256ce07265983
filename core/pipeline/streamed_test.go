package pipeline

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// A converted disk is an optimisation: one that does not check out is dropped, never fatal.
func TestVerifyStreamedKeepsOnlySoundImages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for name, size := range map[string]int{"vm-disk0.vmdk": 10, "vm-disk0.qcow2": 20, "vm-disk1.vmdk": 10, "vm-disk1.qcow2": 20} {
		os.WriteFile(filepath.Join(dir, name), make([]byte, size), 0o644)
	}
	os.Symlink("/etc/passwd", filepath.Join(dir, "escape.qcow2"))
	all := []provider.Artifact{
		{Path: "vm-disk0.vmdk", Kind: provider.KindDisk, Size: 10, Disk: 0},
		{Path: "vm-disk1.vmdk", Kind: provider.KindDisk, Size: 10, Disk: 1},
		{Path: "vm-disk0.qcow2", Kind: provider.KindConvertedDisk, Format: "qcow2", Size: 20, Disk: 0},
		{Path: "vm-disk1.qcow2", Kind: provider.KindConvertedDisk, Format: "qcow2", Size: 99, Disk: 1}, // wrong size
		{Path: "escape.qcow2", Kind: provider.KindConvertedDisk, Format: "qcow2", Size: 20, Disk: 0},   // leaves the directory
		{Path: "vm-disk0.qcow2", Kind: provider.KindConvertedDisk, Format: "qcow2", Size: 20, Disk: 7}, // no such disk
	}
	exported, converted := splitConverted(all)
	if len(exported) != 2 || len(converted) != 4 {
		t.Fatalf("split = %d exported, %d converted", len(exported), len(converted))
	}
	files, err := Verify(dir, exported)
	if err != nil {
		t.Fatal(err)
	}
	got := verifyStreamed(&State{Log: hclog.NewNullLogger(), ExportDir: dir,
		Result: &Result{VM: provider.VM{Disks: make([]provider.Disk, 2)}}}, files, converted)
	if len(got) != 1 || got[0].From != "vm-disk0.vmdk" || filepath.Base(got[0].Path) != "vm-disk0.qcow2" {
		t.Fatalf("kept %+v, want only vm-disk0.qcow2 from vm-disk0.vmdk", got)
	}
}
