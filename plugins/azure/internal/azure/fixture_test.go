package azure

import (
	"bytes"
	"math/rand/v2"
	"os"
	"slices"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/azure/internal/armstandin"
	"github.com/hypersdk/hypersdk/plugins/azure/internal/azurite"
)

const testToken = "stand-in-token"

// fixture is a real Azurite behind the ARM stand-in, holding three VMs in two resource groups:
//
//	rg-app/web-1    westeurope   running      Standard_B2s     env=prod team=web  gen1, OS disk + one data disk, one NIC
//	rg-app/db-1     northeurope  deallocated  Standard_D4s_v5  env=dev            TrustedLaunch (gen2, secure boot)
//	rg-batch/job-1  westeurope   running      Standard_B1s     (no tags)
type fixture struct {
	az       *azurite.Azurite
	arm      *armstandin.Server
	disks    map[string]armstandin.Disk
	settings map[string]any
}

const (
	osDiskSize   = 6 << 20
	dataDiskSize = 3 << 20
)

func newFixture(t *testing.T, o armstandin.Options) *fixture {
	t.Helper()
	az := azurite.Start(t)
	o.Token, o.Blob = testToken, az
	srv := armstandin.Start(t, o)
	f := &fixture{az: az, arm: srv, disks: map[string]armstandin.Disk{}}
	f.addDisk(armstandin.Disk{ResourceGroup: "rg-app", Name: "web-1-os", Location: "westeurope", SizeBytes: osDiskSize, Data: pattern(osDiskSize, 1)})
	f.addDisk(armstandin.Disk{ResourceGroup: "rg-app", Name: "web-1-data", Location: "westeurope", SizeBytes: dataDiskSize, Data: pattern(dataDiskSize, 2)})
	f.addDisk(armstandin.Disk{ResourceGroup: "rg-app", Name: "db-1-os", Location: "northeurope", SizeBytes: 2 << 20, HyperVGeneration: "V2", Data: pattern(2<<20, 3)})
	f.addDisk(armstandin.Disk{ResourceGroup: "rg-batch", Name: "job-1-os", Location: "westeurope", SizeBytes: 1 << 20, Data: pattern(1<<20, 4)})
	srv.AddVM(armstandin.VM{ResourceGroup: "rg-app", Name: "web-1", Location: "westeurope", Size: "Standard_B2s", Power: "running", OSType: "Linux",
		Tags: map[string]string{"env": "prod", "team": "web"}, OSDisk: "web-1-os", DataDisks: []string{"web-1-data"},
		NICs: []armstandin.NIC{{Name: "web-1-nic", MAC: "00-0D-3A-12-34-56", VNet: "vnet-app", Subnet: "default"}}})
	srv.AddVM(armstandin.VM{ResourceGroup: "rg-app", Name: "db-1", Location: "northeurope", Size: "Standard_D4s_v5", Power: "deallocated", OSType: "Linux",
		Tags: map[string]string{"env": "dev"}, OSDisk: "db-1-os", SecurityType: "TrustedLaunch", SecureBoot: true, VTPM: true})
	srv.AddVM(armstandin.VM{ResourceGroup: "rg-batch", Name: "job-1", Location: "westeurope", Size: "Standard_B1s", Power: "running", OSType: "Windows", OSDisk: "job-1-os"})
	f.settings = map[string]any{"subscription_id": srv.Subscription(), "credential": "access_token", "access_token": testToken,
		"resource_manager_endpoint": srv.URL(), "poll_interval": "10ms", "download_workers": 4, "chunk_size_mb": 1}
	return f
}

func (f *fixture) addDisk(d armstandin.Disk) {
	f.arm.AddDisk(d)
	f.disks[d.Name] = d
}

// with returns the fixture's settings with some changed.
func (f *fixture) with(kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range f.settings {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// pattern is a disk of size bytes holding data in a few runs and holes elsewhere: a run at
// the start, one across a MiB boundary of an odd length, an allocated run of zeros (a page
// written with zeros is still allocated), and one at the end.
func pattern(size int64, seed uint64) map[int64][]byte {
	r := rand.New(rand.NewPCG(seed, seed))
	fill := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.UintN(255) + 1)
		}
		return b
	}
	runs := map[int64][]byte{
		0:                fill(64 << 10),
		(1 << 20) - 4096: fill(3*4096 + 1000),
		size / 2:         make([]byte, 8192),
		size - 32768:     fill(32768),
	}
	// On a small disk the runs may overlap: keep each to the room before the next one.
	offs := make([]int64, 0, len(runs))
	for off := range runs {
		offs = append(offs, off)
	}
	slices.Sort(offs)
	for i, off := range offs {
		end := size
		if i+1 < len(offs) {
			end = offs[i+1]
		}
		if int64(len(runs[off])) > end-off {
			runs[off] = runs[off][:end-off]
		}
	}
	return runs
}

// image is what a disk's raw file must hold.
func image(d armstandin.Disk) []byte {
	b := make([]byte, d.SizeBytes)
	for off, data := range d.Data {
		copy(b[off:], data)
	}
	return b
}

// sameBytes compares the file at path with the disk's image.
func sameBytes(t *testing.T, path string, d armstandin.Disk) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := image(d); !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes differ from disk %s's %d", path, len(got), d.Name, len(want))
	}
}
