package azure

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"

	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// A disk no SAS can be granted for is refused before anything is made in Azure, saying what
// to change. The fake serves no snapshot call: one would fail the test with "not implemented".
func TestFakeUnexportableDisks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		change  func(*armcompute.DiskProperties)
		want    error
		mention string
	}{
		{"network access policy DenyAll", func(pr *armcompute.DiskProperties) {
			pr.NetworkAccessPolicy = to.Ptr(armcompute.NetworkAccessPolicyDenyAll)
		}, provider.ErrInvalidArgument, "DenyAll"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := diskOf("rg", "vm-os", 30<<30, 0)
			tc.change(d.Properties)
			c := &fakeCloud{pages: [][]*armcompute.VirtualMachine{{vmOf("rg", "vm", "westeurope", "Standard_B2s", "running", nil)}},
				disks: map[string]*armcompute.Disk{"vm-os": d}}
			p, _ := c.provider(t, nil)
			rec := &providertest.Recorder{}
			_, err := p.ExportVM(context.Background(), provider.ExportSpec{JobID: "j", VMID: "rg/vm", Method: provider.MethodRaw, Dir: t.TempDir()}, rec)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.mention) || !strings.Contains(err.Error(), "vm-os") {
				t.Fatalf("export = %v; want %v naming the disk and %q", err, tc.want, tc.mention)
			}
			if rec.HoldsRecorded() != 0 {
				t.Fatalf("a refused export recorded %d holds", rec.HoldsRecorded())
			}
		})
	}
}
