package convert

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/ovf"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

func needQemuImg(t testing.TB) string {
	t.Helper()
	return providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils; make test installs it")
}

// fixture makes a raw image with data in it and its streamOptimized VMDK twin.
func fixture(t *testing.T, qemu, dir string) (raw, vmdk string) {
	t.Helper()
	raw, vmdk = filepath.Join(dir, "src.raw"), filepath.Join(dir, "web-disk0.vmdk")
	f, _ := os.Create(raw)
	f.Truncate(32 << 20)
	f.WriteAt([]byte(strings.Repeat("hypersdk", 4096)), 5<<20)
	f.Close()
	if out, err := exec.Command(qemu, "convert", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, vmdk).CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	return raw, vmdk
}

func same(t *testing.T, qemu, a, b string) {
	t.Helper()
	if out, err := exec.Command(qemu, "compare", a, b).CombinedOutput(); err != nil {
		t.Fatalf("%s and %s differ: %v %s", a, b, err, out)
	}
}

// makeOVA packs disk into dir/web.ova, its OVF declaring format (an ovf.Format*, "" for none).
func makeOVA(t *testing.T, dir, vmdk, format string) string {
	t.Helper()
	st, _ := os.Stat(vmdk)
	vm := provider.VM{Name: "web", CPUs: 2, MemoryMB: 1024, Disks: []provider.Disk{{Label: "d", CapacityBytes: 32 << 20, Controller: "scsi"}}}
	desc, err := ovf.Write(vm, []ovf.DiskFile{{Disk: 0, Href: filepath.Base(vmdk), Size: st.Size(), Format: format}})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "web.ova")
	f, _ := os.Create(p)
	tw := tar.NewWriter(f)
	tw.WriteHeader(&tar.Header{Name: "web.ovf", Mode: 0o644, Size: int64(len(desc)), Typeflag: tar.TypeReg})
	tw.Write(desc)
	data, _ := os.ReadFile(vmdk)
	tw.WriteHeader(&tar.Header{Name: filepath.Base(vmdk), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg})
	tw.Write(data)
	tw.Close()
	f.Close()
	return p
}

func TestConvertFromEveryKindOfExport(t *testing.T) {
	qemu := needQemuImg(t)
	dir := t.TempDir()
	raw, vmdk := fixture(t, qemu, dir)
	ova := makeOVA(t, dir, vmdk, ovf.FormatStreamOptimized)
	for _, src := range []string{vmdk, ova} {
		for _, format := range []string{FormatQCOW2, FormatRaw} {
			t.Run(filepath.Ext(src)+"→"+format, func(t *testing.T) {
				exp, err := LoadExport(context.Background(), qemu, src)
				if err != nil {
					t.Fatal(err)
				}
				if len(exp.Disks) != 1 || exp.VM.Disks[0].CapacityBytes != 32<<20 {
					t.Fatalf("export = %+v", exp)
				}
				out := filepath.Join(t.TempDir(), "out."+format)
				var last float64
				if err := Convert(context.Background(), qemu, exp.Disks[0], out, Options{Format: format}, func(p float64) { last = p }); err != nil {
					t.Fatal(err)
				}
				if last != 100 {
					t.Errorf("last progress %v, want 100", last)
				}
				same(t, qemu, raw, out)
				if _, err := os.Stat(out + ".part"); !os.IsNotExist(err) {
					t.Error("temporary file left behind")
				}
			})
		}
	}
}

func TestConvertFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	qemu := needQemuImg(t)
	tests := []struct {
		name string
		make func(t *testing.T, dir string) string
		want string
	}{
		{"not a disk", func(t *testing.T, dir string) string {
			junk := filepath.Join(dir, "junk.vmdk")
			os.WriteFile(junk, []byte("not a disk at all"), 0o644)
			return junk
		}, "qemu-img info"},
		{"corrupt grains", func(t *testing.T, dir string) string {
			// qemu-img info reads only the headers and passes it; the conversion fails.
			raw, vmdk := filepath.Join(dir, "noise.raw"), filepath.Join(dir, "noise.vmdk")
			noise := make([]byte, 4<<20)
			for i := range noise {
				noise[i] = byte(i*7919 + i>>11)
			}
			os.WriteFile(raw, noise, 0o644)
			run(t, qemu, "convert", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, vmdk)
			f, _ := os.OpenFile(vmdk, os.O_RDWR, 0)
			st, _ := f.Stat()
			f.WriteAt(bytes.Repeat([]byte{0xff}, 4096), st.Size()/2)
			f.Close()
			return vmdk
		}, "qemu-img convert"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out := filepath.Join(dir, "out.qcow2")
			err := Convert(context.Background(), qemu, Source{Path: tt.make(t, dir), Format: "vmdk"}, out, Options{Format: FormatQCOW2}, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one naming %q", err, tt.want)
			}
			for _, p := range []string{out, out + ".part"} {
				if _, err := os.Stat(p); !os.IsNotExist(err) {
					t.Errorf("%s exists after a failed conversion", p)
				}
			}
		})
	}
}

func TestIndexOVARefusesHostileArchives(t *testing.T) {
	t.Parallel()
	cases := map[string]*tar.Header{
		"traversal": {Name: "../evil", Typeflag: tar.TypeReg},
		"absolute":  {Name: "/etc/passwd", Typeflag: tar.TypeReg},
		"symlink":   {Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"},
		"hardlink":  {Name: "hard", Typeflag: tar.TypeLink, Linkname: "x"},
		"device":    {Name: "dev", Typeflag: tar.TypeChar},
	}
	for name, h := range cases {
		p := filepath.Join(t.TempDir(), "x.ova")
		f, _ := os.Create(p)
		tw := tar.NewWriter(f)
		h.Mode = 0o644
		tw.WriteHeader(h)
		tw.Close()
		f.Close()
		if _, err := IndexOVA(p); err == nil {
			t.Errorf("%s: IndexOVA accepted it", name)
		}
	}
}
