package fake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// boot_sector marks the boot disk, and only it, with the MBR boot signature; data_disks adds
// disks outside the boot order. The artifacts' digests are those of what was written.
func TestGuestDisks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		settings map[string]any
		marked   []bool // per disk: ends its first sector with 0x55 0xAA
	}{
		{"the default: one disk, no signature", map[string]any{}, []bool{false}},
		{"boot_sector", map[string]any{"boot_sector": true}, []bool{true}},
		{"boot_sector with data disks", map[string]any{"boot_sector": true, "data_disks": 2}, []bool{true, false, false}},
		{"data disks alone", map[string]any{"data_disks": 1}, []bool{false, false}},
		{"boot_sector, sparse", map[string]any{"boot_sector": true, "data_disks": 1, "sparse_disk": true}, []bool{true, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			settings := map[string]any{"vm_count": 1, "disk_size_bytes": 1 << 20}
			for k, v := range tc.settings {
				settings[k] = v
			}
			p := New()
			cfg, err := provider.NewConfig(settings)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Configure(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			vm, err := p.GetVM(context.Background(), "vm-001")
			if err != nil {
				t.Fatal(err)
			}
			if len(vm.Disks) != len(tc.marked) {
				t.Fatalf("disks = %d, want %d", len(vm.Disks), len(tc.marked))
			}
			for i, d := range vm.Disks {
				if boot := d.BootOrder > 0; boot != (i == 0) {
					t.Errorf("disk %d boot order %d: only disk 0 boots", i, d.BootOrder)
				}
			}
			dir := t.TempDir()
			res, err := p.ExportVM(context.Background(), provider.ExportSpec{VMID: "vm-001", Method: provider.MethodRaw, Dir: dir}, &providertest.Recorder{})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range res.Artifacts {
				data, err := os.ReadFile(filepath.Join(dir, a.Path))
				if err != nil {
					t.Fatal(err)
				}
				if marked := data[510] == 0x55 && data[511] == 0xAA; marked != tc.marked[a.Disk] {
					t.Errorf("disk %d carries the boot signature: %v, want %v", a.Disk, marked, tc.marked[a.Disk])
				}
				if sum := sha256.Sum256(data); a.SHA256 != "" && a.SHA256 != hex.EncodeToString(sum[:]) {
					t.Errorf("disk %d: reported digest %s is not that of the file", a.Disk, a.SHA256)
				}
			}
		})
	}
}

func TestDataDisksBounded(t *testing.T) {
	t.Parallel()
	for _, n := range []int{-1, maxDataDisks + 1} {
		cfg, err := provider.NewConfig(map[string]any{"data_disks": n})
		if err != nil {
			t.Fatal(err)
		}
		if err := New().Configure(context.Background(), cfg); err == nil {
			t.Errorf("data_disks %d accepted", n)
		}
	}
}
