package azure

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/azure/internal/armstandin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// A disk with dataAccessAuthMode AzureActiveDirectory is read with the credential's token as
// well as the SAS. A principal with the Data Operator for Managed Disks role exports it; one
// without gets an auth error naming the role, and its holds release.
func TestEntraDataAccessDisk(t *testing.T) {
	for _, tc := range []struct {
		name      string
		dataToken string // the token of the principal holding the role
		want      error
	}{
		{"principal with the role", testToken, nil},
		{"principal without the role", "token-of-someone-else", provider.ErrAuth},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, armstandin.Options{DataToken: tc.dataToken})
			d := f.disks["job-1-os"]
			d.DataAccessAuthMode = "AzureActiveDirectory"
			f.addDisk(d)
			p := configured(t, f.settings)
			spec := exportSpec(t, "rg-batch/job-1")
			rec := &providertest.Recorder{}
			res, err := p.ExportVM(context.Background(), spec, rec)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				sameBytes(t, filepath.Join(spec.Dir, res.Artifacts[0].Path), d)
				return
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), "Data Operator for Managed Disks") || !strings.Contains(err.Error(), "403") {
				t.Fatalf("export = %v; want %v naming 403 and the role", err, tc.want)
			}
			held := rec.Holds()
			for i := len(held) - 1; i >= 0; i-- {
				if err := p.(provider.Releaser).Release(context.Background(), held[i]); err != nil {
					t.Fatalf("Release(%s): %v", held[i].Kind, err)
				}
			}
			if snaps := f.arm.Snapshots(); len(snaps) != 0 {
				t.Fatalf("snapshots after release: %v", snaps)
			}
		})
	}
}
