package convert

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/hypersdk/hypersdk/core/vmdk"
	"github.com/hypersdk/hypersdk/sdk/ovf"
)

// secretMark fills the stand-in for /etc/shadow: finding it in an output means a reference
// was followed.
var secretMark = []byte("SHADOW-SECRET-4f1c9e ")

// hostileImages are images that refer to a host file, the secret, each built by qemu-img or by
// hand in dir. want is what the refusal must name.
var hostileImages = []struct {
	name string
	make func(t *testing.T, qemu, dir, secret string) string
	want string
}{
	{"qcow2 with a backing file", func(t *testing.T, qemu, dir, secret string) string {
		img := filepath.Join(dir, "backed.qcow2")
		run(t, qemu, "create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", img, "1M")
		return img
	}, "backing file"},
	{"qcow2 with a backing file that does not exist", func(t *testing.T, qemu, dir, secret string) string {
		// qemu-img info --backing-chain would open it and fail with "Could not open", telling
		// the sender which host files exist; Inspect must not open it at all.
		img := filepath.Join(dir, "dangling.qcow2")
		run(t, qemu, "create", "-q", "-u", "-f", "qcow2", "-b", secret+".missing", "-F", "raw", img, "1M")
		return img
	}, "backing file"},
	{"qcow2 with an external data file", func(t *testing.T, qemu, dir, secret string) string {
		img := filepath.Join(dir, "datafile.qcow2")
		run(t, qemu, "create", "-q", "-f", "qcow2", "-o", "data_file="+secret+",data_file_raw=on", img, "1M")
		writeSecret(t, secret) // qemu-img create zeroed it
		return img
	}, "external data file"},
	{"VMDK descriptor with an extent in another file", func(t *testing.T, qemu, dir, secret string) string {
		return vmdkDescriptor(t, dir, secret)
	}, "extents are other files"},
	{"VMDK descriptor with a relative extent", func(t *testing.T, qemu, dir, secret string) string {
		return vmdkDescriptor(t, dir, filepath.Base(secret))
	}, "extents are other files"},
	// qemu reads extent lines with sscanf: any white space between fields, a signed size, a
	// name without its closing quote, a line anywhere in the first MiB.
	{"VMDK descriptor whose extent line is split by \\f and \\v, with a signed size", func(t *testing.T, qemu, dir, secret string) string {
		return descriptorFile(t, dir, "monolithicFlat", "RW\f+2048\vFLAT\f\""+secret+"\" 0\n")
	}, "extents are other files"},
	{"VMDK descriptor whose extent fields are on separate lines", func(t *testing.T, qemu, dir, secret string) string {
		return descriptorFile(t, dir, "monolithicFlat", "RW\n2048\nFLAT\n\""+secret+"\" 0\n")
	}, "extents are other files"},
	{"VMDK descriptor with a tab-separated extent whose name is not closed", func(t *testing.T, qemu, dir, secret string) string {
		return descriptorFile(t, dir, "vmfs", "RW\t2048\tVMFS\t\""+secret+"\n")
	}, "extents are other files"},
	{"VMDK descriptor with its extent past the first 64 KiB", func(t *testing.T, qemu, dir, secret string) string {
		padding := strings.Repeat("# "+strings.Repeat("-", 70)+"\n", 1000)
		return descriptorFile(t, dir, "monolithicFlat", padding+"RW 2048 FLAT \""+secret+"\" 0\n")
	}, "extents are other files"},
	{"sparse VMDK whose embedded descriptor names another file", func(t *testing.T, qemu, dir, secret string) string {
		return sparseWithDescriptor(t, qemu, dir, "RW 2048 FLAT \""+secret+"\" 0\n")
	}, "extents are other files"},
	{"VMDK descriptor whose extent is a FIFO", func(t *testing.T, qemu, dir, secret string) string {
		// qemu-img info would wait forever for a writer to open it.
		fifo := filepath.Join(dir, "fifo")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		return descriptorFile(t, dir, "monolithicFlat", "RW\f2048\fFLAT\f\""+fifo+"\" 0\n")
	}, "extents are other files"},
}

func run(t *testing.T, qemu string, args ...string) {
	t.Helper()
	if out, err := exec.Command(qemu, args...).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img %s: %v %s", strings.Join(args, " "), err, out)
	}
}

func writeSecret(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, bytes.Repeat(secretMark, (1<<20)/len(secretMark)+1)[:1<<20], 0o600); err != nil {
		t.Fatal(err)
	}
}

// vmdkDescriptor writes a monolithicFlat descriptor whose one extent is extent.
func vmdkDescriptor(t *testing.T, dir, extent string) string {
	t.Helper()
	return descriptorFile(t, dir, "monolithicFlat", "RW 2048 FLAT \""+extent+"\" 0\n")
}

// descriptorText is a VMDK descriptor of createType whose extent description is extents.
func descriptorText(createType, extents string) string {
	return "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"" + createType + "\"\n\n" +
		extents + "\nddb.adapterType = \"ide\"\nddb.geometry.cylinders = \"2\"\nddb.geometry.heads = \"16\"\nddb.geometry.sectors = \"63\"\n"
}

// descriptorFile writes descriptorText(createType, extents) as dir/flat.vmdk.
func descriptorFile(t *testing.T, dir, createType, extents string) string {
	t.Helper()
	img := filepath.Join(dir, "flat.vmdk")
	if err := os.WriteFile(img, []byte(descriptorText(createType, extents)), 0o644); err != nil {
		t.Fatal(err)
	}
	return img
}

// sparseWithDescriptor makes a sparse VMDK with qemu-img, then sets its capacity to 0 and
// rewrites its embedded descriptor as a monolithicFlat one with extents: qemu then reads that
// descriptor as a descriptor file and opens its extents.
func sparseWithDescriptor(t *testing.T, qemu, dir, extents string) string {
	t.Helper()
	img := filepath.Join(dir, "sparse.vmdk")
	run(t, qemu, "create", "-q", "-f", "vmdk", img, "1M")
	data, err := os.ReadFile(img)
	if err != nil {
		t.Fatal(err)
	}
	h, ok := vmdk.ParseHeader(data)
	if !ok || h.CapacitySectors == 0 || h.DescriptorOffset == 0 {
		t.Fatalf("qemu-img made no sparse VMDK with an embedded descriptor: %+v", h)
	}
	binary.LittleEndian.PutUint64(data[12:20], 0) // capacity
	off, size := int(h.DescriptorOffset)*512, int(h.DescriptorSectors)*512
	desc := descriptorText("monolithicFlat", extents)
	if len(desc) > size {
		t.Fatalf("descriptor of %d bytes does not fit the %d reserved", len(desc), size)
	}
	copy(data[off:off+size], append([]byte(desc), make([]byte, size-len(desc))...))
	if err := os.WriteFile(img, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return img
}

// TestUntrustedImagesAreRefused gives every entry point an image that refers to a host file:
// each refuses it with ErrUnsafeImage, naming the reference, and writes nothing.
func TestUntrustedImagesAreRefused(t *testing.T) {
	t.Parallel()
	qemu := needQemuImg(t)
	ctx := context.Background()
	callers := []struct {
		name string
		run  func(t *testing.T, img, outDir string) error
	}{
		{"Convert", func(t *testing.T, img, outDir string) error {
			src := Source{Path: img, Format: formatByExt(img)}
			return Convert(ctx, qemu, src, filepath.Join(outDir, "out.qcow2"), Options{Format: FormatQCOW2}, nil)
		}},
		{"Convert probing", func(t *testing.T, img, outDir string) error {
			return Convert(ctx, qemu, Source{Path: img}, filepath.Join(outDir, "out.raw"), Options{Format: FormatRaw}, nil)
		}},
		{"Adopt", func(t *testing.T, img, outDir string) error {
			err := Adopt(ctx, qemu, img, formatByExt(img), 1<<20, filepath.Join(outDir, "out"))
			if _, serr := os.Stat(img); serr != nil {
				t.Errorf("the refused image was not left where it was: %v", serr)
			}
			return err
		}},
		{"LoadExport", func(t *testing.T, img, outDir string) error {
			_, err := LoadExport(ctx, qemu, img)
			return err
		}},
		{"LoadExport probing an .img", func(t *testing.T, img, outDir string) error {
			probed := strings.TrimSuffix(img, filepath.Ext(img)) + ".img"
			if err := os.Rename(img, probed); err != nil {
				t.Fatal(err)
			}
			_, err := LoadExport(ctx, qemu, probed)
			return err
		}},
		{"LoadExport of an OVA", func(t *testing.T, img, outDir string) error {
			format := ""
			if filepath.Ext(img) == ".vmdk" {
				format = ovf.FormatSparse
			}
			// qemu's raw driver reads a byte range of whole sectors only.
			if st, err := os.Stat(img); err == nil && st.Size()%512 != 0 {
				os.Truncate(img, (st.Size()/512+1)*512)
			}
			_, err := LoadExport(ctx, qemu, makeOVA(t, filepath.Dir(img), img, format))
			return err
		}},
	}
	for _, im := range hostileImages {
		for _, c := range callers {
			t.Run(im.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				dir, outDir := t.TempDir(), t.TempDir()
				secret := filepath.Join(dir, "shadow")
				writeSecret(t, secret)
				img := im.make(t, qemu, dir, secret)
				err := c.run(t, img, outDir)
				if !errors.Is(err, ErrUnsafeImage) || !strings.Contains(err.Error(), im.want) {
					t.Fatalf("%s = %v, want ErrUnsafeImage naming %q", c.name, err, im.want)
				}
				leftovers, _ := os.ReadDir(outDir)
				for _, e := range leftovers {
					t.Errorf("%s left %s behind", c.name, e.Name())
				}
				noSecretIn(t, outDir)
			})
		}
	}
}

// noSecretIn fails if any file under dir holds the secret's bytes.
func noSecretIn(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if data, _ := os.ReadFile(p); bytes.Contains(data, secretMark) {
				t.Errorf("%s holds the secret", p)
			}
		}
		return nil
	})
}

// TestConvertOpensNoBackingFile hands qemu-img convert what Convert hands it once Inspect has
// passed an image, but with a backing file in the header — as if a plugin had swapped one in
// after the inspection: qemu-img still reads no backing file.
func TestConvertOpensNoBackingFile(t *testing.T) {
	t.Parallel()
	qemu := needQemuImg(t)
	dir := t.TempDir()
	secret := filepath.Join(dir, "shadow")
	writeSecret(t, secret)
	img := filepath.Join(dir, "img.qcow2")
	run(t, qemu, "create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", img, "1M")
	src := Source{Path: img, Format: FormatQCOW2}
	in, err := src.spec(FormatQCOW2) // what Convert hands qemu-img once Inspect has passed
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.raw")
	run(t, qemu, "convert", "-O", "raw", in, out)
	noSecretIn(t, out)
	if data, _ := os.ReadFile(out); len(data) != 1<<20 || bytes.Count(data, []byte{0}) != len(data) {
		t.Errorf("out is not the image's own (empty) 1 MiB")
	}
}

// TestReportRefusesReferences checks the second guard, qemu-img's own report, with reports as
// qemu-img 7.2 writes them, for references the header check does not look for.
func TestReportRefusesReferences(t *testing.T) {
	t.Parallel()
	plain := Source{Path: "/exports/web.vmdk", Format: "vmdk"}
	member := Source{Path: "/exports/web.ova", Offset: 1536, Size: 65536, Format: "vmdk", Name: "web-disk0.vmdk"}
	ovaExtent := func(off int64) string {
		return fmt.Sprintf(`"json:{\"offset\":%d,\"driver\":\"raw\",\"size\":65536,\"file\":{\"driver\":\"file\",\"filename\":\"/exports/web.ova\"}}"`, off)
	}
	tests := []struct {
		name string
		src  Source
		json string
		want string // "" accepts
	}{
		{"sparse VMDK, its own extent", plain, `{"format":"vmdk","format-specific":{"type":"vmdk","data":{"extents":[{"filename":"/exports/web.vmdk"}]}}}`, ""},
		{"OVA member, its own byte range", member, `{"format":"vmdk","format-specific":{"type":"vmdk","data":{"extents":[{"filename":` + ovaExtent(1536) + `}]}}}`, ""},
		{"OVA member, another byte range", member, `{"format":"vmdk","format-specific":{"type":"vmdk","data":{"extents":[{"filename":` + ovaExtent(0) + `}]}}}`, "extent in another file"},
		{"VMDK extent elsewhere", plain, `{"format":"vmdk","format-specific":{"type":"vmdk","data":{"extents":[{"filename":"/exports/web.vmdk"},{"filename":"/etc/shadow"}]}}}`, `extent in another file, "/etc/shadow"`},
		{"backing file", Source{Path: "/x.qcow2"}, `{"format":"qcow2","backing-filename":"../etc/shadow","full-backing-filename":"/etc/shadow"}`, `backing file "/etc/shadow"`},
		{"data file", Source{Path: "/x.qcow2"}, `{"format":"qcow2","format-specific":{"type":"qcow2","data":{"data-file":"/etc/shadow"}}}`, `external data file "/etc/shadow"`},
		{"probed as qed", Source{Path: "/x.img"}, `{"format":"qed"}`, `"qed" image`},
		{"probed as qcow2", Source{Path: "/x.img"}, `{"format":"qcow2"}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rep report
			if err := json.Unmarshal([]byte(tt.json), &rep); err != nil {
				t.Fatal(err)
			}
			err := rep.refuse(tt.src)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrUnsafeImage) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("refuse = %v, want ErrUnsafeImage naming %s", err, tt.want)
			}
		})
	}
}
