package pipeline

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/ovf"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

func writeFile(t *testing.T, dir, name, content string) provider.Artifact {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(content))
	return provider.Artifact{Path: name, Kind: provider.KindDisk, Format: "vmdk-stream", Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:])}
}

func TestVerifyTrustsNothing(t *testing.T) {
	t.Parallel()
	dir, outside := t.TempDir(), t.TempDir()
	good := writeFile(t, dir, "disk0.vmdk", "disk bytes")
	os.WriteFile(filepath.Join(outside, "secret"), []byte("x"), 0o600)
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(dir, "link.vmdk"))
	cases := []struct {
		name string
		a    provider.Artifact
		want string
	}{
		{"traversal", provider.Artifact{Path: "../x"}, "leaves the export directory"},
		{"absolute", provider.Artifact{Path: "/etc/passwd"}, "must be relative"},
		{"symlink out", provider.Artifact{Path: "link.vmdk", Size: 1}, "outside the export directory"},
		{"missing", provider.Artifact{Path: "nope.vmdk"}, "no such file"},
		{"wrong size", func() provider.Artifact { a := good; a.Size++; return a }(), "reported"},
		{"wrong hash", func() provider.Artifact { a := good; a.SHA256 = strings.Repeat("0", 64); return a }(), "has sha256"},
	}
	for _, c := range cases {
		if _, err := Verify(dir, []provider.Artifact{c.a}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Verify = %v, want %q", c.name, err, c.want)
		}
	}
	files, err := Verify(dir, []provider.Artifact{good})
	if err != nil || len(files) != 1 || files[0].SHA256 != good.SHA256 {
		t.Fatalf("good artifact: %v %v", files, err)
	}
}

var vm = provider.VM{ID: "vm-1", Name: "web", CPUs: 2, MemoryMB: 1024, Firmware: provider.FirmwareBIOS,
	Disks: []provider.Disk{{Label: "Hard disk 1", CapacityBytes: 1 << 30, Controller: "scsi"}}}

func TestPackageExportPerMethod(t *testing.T) {
	t.Parallel()
	cases := []struct {
		method    string
		wantFiles []string
	}{
		{provider.MethodVMDK, []string{"web-disk0.vmdk"}},
		{provider.MethodOVF, []string{"web-disk0.vmdk", "web.mf", "web.ovf"}},
		{provider.MethodOVA, []string{"web.ova"}},
	}
	for _, c := range cases {
		t.Run(c.method, func(t *testing.T) {
			dir := t.TempDir()
			a := writeFile(t, dir, "web-disk0.vmdk", "stream optimized bytes")
			files, err := Verify(dir, []provider.Artifact{a})
			if err != nil {
				t.Fatal(err)
			}
			pkg, err := PackageExport(dir, "web", c.method, vm, files)
			if err != nil {
				t.Fatal(err)
			}
			entries, _ := os.ReadDir(dir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			if !reflect.DeepEqual(names, c.wantFiles) {
				t.Fatalf("directory holds %v, want %v", names, c.wantFiles)
			}
			if c.method == provider.MethodOVA {
				checkOVA(t, pkg.OVA)
			}
			// What the package says of each file (hashed as written, not read back) is what is on disk.
			for _, f := range pkg.Files {
				raw, err := os.ReadFile(f.Path)
				sum := sha256.Sum256(raw)
				if err != nil || int64(len(raw)) != f.Size || hex.EncodeToString(sum[:]) != f.SHA256 {
					t.Errorf("%s: reported %d bytes, sha256 %s; on disk %d bytes, %x (%v)", f.Name, f.Size, f.SHA256, len(raw), sum, err)
				}
			}
		})
	}
}

func checkOVA(t *testing.T, path string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if strings.HasSuffix(h.Name, ".ovf") {
			raw, _ := io.ReadAll(tr)
			if _, files, err := ovf.Parse(raw); err != nil || len(files) != 1 || files[0].Href != "web-disk0.vmdk" {
				t.Errorf("written descriptor: %v %v", files, err)
			}
		}
	}
	if !reflect.DeepEqual(names, []string{"web.ovf", "web.mf", "web-disk0.vmdk"}) {
		t.Errorf("OVA members %v", names)
	}
}
