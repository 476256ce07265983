package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// sparseDisk writes a disk of size bytes (at least 4 MiB) holding 3 MiB of data in three
// runs, and reports it as a provider does: with its extents.
func sparseDisk(t *testing.T, dir, name, format string, size int64) provider.Artifact {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i*13) | 1
	}
	for _, off := range []int64{0, size / 4 &^ (1<<20 - 1), size - 1<<20} {
		if _, err := f.WriteAt(data, off); err != nil {
			t.Fatal(err)
		}
	}
	extents, err := provider.FileExtents(path)
	if err != nil {
		t.Fatal(err)
	}
	return provider.Artifact{Path: name, Kind: provider.KindDisk, Format: format, Size: size, Extents: extents, ExtentsKnown: true}
}

func TestVerifySparseArtifact(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		damage func(t *testing.T, path string, a *provider.Artifact)
		want   string // "" when it verifies
	}{
		{"as written", func(*testing.T, string, *provider.Artifact) {}, ""},
		{"a byte changed inside an extent", func(t *testing.T, path string, _ *provider.Artifact) {
			writeAt(t, path, 256<<20+4242, []byte{0})
		}, "have sha256"},
		{"data written into a hole", func(t *testing.T, path string, _ *provider.Artifact) {
			writeAt(t, path, 700<<20, []byte{9})
		}, "outside every extent"},
		{"an extent missing from the list", func(_ *testing.T, _ string, a *provider.Artifact) {
			a.Extents = a.Extents[1:]
		}, "outside every extent"},
		{"the wrong size", func(_ *testing.T, _ string, a *provider.Artifact) { a.Size = 2 << 30 }, "bytes, not"},
		{"a whole-file digest instead of extents", func(_ *testing.T, _ string, a *provider.Artifact) {
			a.SHA256, a.Extents, a.ExtentsKnown = strings.Repeat("0", 64), nil, false
		}, "has sha256"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			a := sparseDisk(t, dir, "vm-disk0.raw", provider.FormatRaw, 1<<30)
			c.damage(t, filepath.Join(dir, a.Path), &a)
			files, err := Verify(dir, []provider.Artifact{a})
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("Verify: %v", err)
			case c.want == "":
				if files[0].Size != 1<<30 || files[0].SHA256 != "" {
					t.Errorf("verified file = %+v, want its size and no whole-file digest", files[0])
				}
			case err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), a.Path):
				t.Fatalf("Verify = %v, want an error about %s saying %q", err, a.Path, c.want)
			}
		})
	}
}

func writeAt(t *testing.T, path string, off int64, b []byte) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}

// A disk verified by its extents is hashed whole only where a manifest lists it as it is.
func TestHashKeptDisks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		method, format string
		hashed         bool
	}{
		{provider.MethodOVA, provider.FormatVMDK, true},
		{provider.MethodOVF, provider.FormatVMDKStream, true},
		{provider.MethodOVA, provider.FormatRaw, false}, // converted to a VMDK by the package step
		{provider.MethodRaw, provider.FormatRaw, false},
		{provider.MethodQCOW2, provider.FormatRaw, false},
	}
	for _, c := range cases {
		t.Run(c.method+"/"+c.format, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			files, err := Verify(dir, []provider.Artifact{sparseDisk(t, dir, "vm-disk0.img", c.format, 16<<20)})
			if err != nil {
				t.Fatal(err)
			}
			if err := hashKeptDisks(c.method, files); err != nil {
				t.Fatal(err)
			}
			want := ""
			if c.hashed {
				if want, _, err = diskfile.SHA256(files[0].Path); err != nil {
					t.Fatal(err)
				}
			}
			if files[0].SHA256 != want {
				t.Errorf("SHA256 = %q, want %q", files[0].SHA256, want)
			}
		})
	}
}

// The test provider's sparse export through the verify step: its 1 GiB disk verifies by its
// 4 MiB of extents; once a byte inside one changes, or data appears in a hole, the step fails
// naming the region.
func TestVerifyStepOnASparseExport(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		damage func(path string, a provider.Artifact) (int64, []byte)
		want   string
	}{
		{"as exported", nil, ""},
		{"a byte changed in an extent", func(_ string, a provider.Artifact) (int64, []byte) { return a.Extents[2].Offset + 100, []byte{0} }, "(extent 2) have sha256"},
		{"data in a hole", func(_ string, a provider.Artifact) (int64, []byte) {
			return a.Extents[0].Offset + a.Extents[0].Length + 8192, []byte{1}
		}, "outside every extent"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := fake.New()
			cfg, err := provider.NewConfig(map[string]any{"vm_count": 1, "disk_size_bytes": 1 << 30, "sparse_disk": true})
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Configure(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			res, err := p.ExportVM(context.Background(), provider.ExportSpec{VMID: "vm-001", Method: provider.MethodRaw, Dir: dir}, &providertest.Recorder{})
			if err != nil {
				t.Fatal(err)
			}
			if c.damage != nil {
				off, b := c.damage(filepath.Join(dir, res.Artifacts[0].Path), res.Artifacts[0])
				writeAt(t, filepath.Join(dir, res.Artifacts[0].Path), off, b)
			}
			st := &State{Kind: KindExport, ExportDir: dir, Spec: Spec{VMIdentifier: "vm-001", ExportMethod: provider.MethodRaw},
				Result: &Result{VM: res.VM}, Exported: res.Artifacts, Log: hclog.NewNullLogger()}
			n, err := (verifyStep{}).Run(context.Background(), st)
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("verify: %v", err)
			case c.want == "" && (n != 1<<30 || len(st.Verified) != 1 || len(st.Result.Artifacts) != 1):
				t.Fatalf("verify counted %d bytes, verified %+v", n, st.Verified)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("verify = %v, want an error saying %q", err, c.want)
			}
		})
	}
}
