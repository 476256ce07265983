package vmdk

import (
	"errors"
	"github.com/hypersdk/hypersdk/sdk/providertest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const flatDescriptor = `# Disk DescriptorFile
version=1
encoding="UTF-8"
CID=1a2b3c4d
parentCID=ffffffff
createType="monolithicFlat"

# Extent description
RW 2097152 FLAT "web-flat.vmdk" 0
RW 1024 ZERO

# The Disk Data Base
#DDB
ddb.adapterType = "lsilogic"
ddb.geometry.cylinders = "130"
ddb.geometry.heads = "255"
ddb.geometry.sectors = "63"
ddb.virtualHWVersion = "13"
`

func TestParseDescriptors(t *testing.T) {
	t.Parallel()
	d, err := Parse([]byte(flatDescriptor))
	if err != nil {
		t.Fatal(err)
	}
	if d.CreateType != "monolithicFlat" || d.CID != "1a2b3c4d" || d.HasParent() || d.AdapterType != "lsilogic" ||
		d.HardwareVersion != "13" || d.Geometry != (Geometry{130, 255, 63}) || len(d.Extents) != 2 ||
		d.Extents[0].File != "web-flat.vmdk" || d.CapacityBytes != (2097152+1024)*512 {
		t.Fatalf("parsed %+v", d)
	}
	bad := map[string]string{
		"traversal in extent":  strings.Replace(flatDescriptor, `"web-flat.vmdk"`, `"../../etc/shadow"`, 1),
		"absolute extent":      strings.Replace(flatDescriptor, `"web-flat.vmdk"`, `"/dev/sda"`, 1),
		"traversal parent":     flatDescriptor + "parentFileNameHint=\"../base.vmdk\"\n",
		"binary junk":          "# Disk DescriptorFile\n\x00\x01\x02\xff\xfe",
		"huge line":            "# Disk DescriptorFile\n" + strings.Repeat("a", 10000) + "=1\n",
		"not a descriptor":     "hello world\n",
		"bad CID":              strings.Replace(flatDescriptor, "CID=1a2b3c4d", "CID=zzzz", 1),
		"bad sectors":          strings.Replace(flatDescriptor, "RW 2097152", "RW -5", 1),
		"unquoted extent name": strings.Replace(flatDescriptor, `"web-flat.vmdk"`, `web-flat.vmdk`, 1),
		"oversized":            strings.Repeat("#", MaxDescriptorBytes+1),
		"no header, no type":   "version=1\n",
		"bad geometry":         strings.Replace(flatDescriptor, `"130"`, `"lots"`, 1),
	}
	for name, text := range bad {
		if _, err := Parse([]byte(text)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Parse = %v, want ErrInvalid", name, err)
		}
	}
}

// Real files made by qemu-img: embedded descriptors and a parent chain.
func TestParseFilesMadeByQemuImg(t *testing.T) {
	qemu := providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils; make test installs it")
	dir := t.TempDir()
	run := func(args ...string) {
		cmd := exec.Command(qemu, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("qemu-img %v: %v %s", args, err, out)
		}
	}
	run("create", "-q", "-f", "vmdk", "-o", "subformat=streamOptimized", "stream.vmdk", "64M")
	run("create", "-q", "-f", "vmdk", "-o", "subformat=monolithicSparse,adapter_type=lsilogic", "base.vmdk", "64M")
	run("create", "-q", "-f", "vmdk", "-o", "subformat=monolithicFlat", "flat.vmdk", "8M")
	run("create", "-q", "-f", "vmdk", "-b", "base.vmdk", "-F", "vmdk", "delta.vmdk")
	cases := []struct {
		file, createType string
		embedded         bool
		parents          []string
	}{
		{"stream.vmdk", "streamOptimized", true, nil},
		{"base.vmdk", "monolithicSparse", true, nil},
		{"flat.vmdk", "monolithicFlat", false, nil},
		{"delta.vmdk", "monolithicSparse", true, []string{"base.vmdk"}},
	}
	for _, c := range cases {
		d, err := ParseFile(filepath.Join(dir, c.file))
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		if d.CreateType != c.createType || d.Embedded != c.embedded || strings.Join(d.Parents, ",") != strings.Join(c.parents, ",") {
			t.Errorf("%s: %+v", c.file, d)
		}
		if d.CapacityBytes == 0 || d.CID == "" {
			t.Errorf("%s: no capacity or CID: %+v", c.file, d)
		}
	}
	if d, _ := ParseFile(filepath.Join(dir, "base.vmdk")); d.AdapterType != "lsilogic" {
		t.Errorf("adapter type = %q", d.AdapterType)
	}
	if d, _ := ParseFile(filepath.Join(dir, "stream.vmdk")); d.Header == nil || d.Header.Compression != 1 {
		t.Errorf("streamOptimized header = %+v", d.Header)
	}
	junk := filepath.Join(dir, "junk.vmdk")
	os.WriteFile(junk, append([]byte("KDMV"), make([]byte, 600)...), 0o644)
	if _, err := ParseFile(junk); !errors.Is(err, ErrInvalid) {
		t.Errorf("junk sparse header: %v", err)
	}
	// A parent that is a named pipe is refused, not waited on (an open for reading would wait
	// for a writer that never comes).
	if err := os.Remove(filepath.Join(dir, "base.vmdk")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "base.vmdk"), 0o644); err != nil {
		t.Fatal(err)
	}
	parsed := make(chan error, 1)
	go func() { _, err := ParseFile(filepath.Join(dir, "delta.vmdk")); parsed <- err }()
	select {
	case err := <-parsed:
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("parent that is a FIFO: %v, want ErrInvalid", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ParseFile still waits on a parent that is a FIFO after 10 s")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(flatDescriptor))
	f.Add([]byte("# Disk DescriptorFile\ncreateType=\"streamOptimized\"\nRW 10 SPARSE \"a.vmdk\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse(data)
		if err != nil {
			return
		}
		for _, e := range d.Extents {
			if e.Type != "ZERO" && checkName(e.File) != nil {
				t.Fatalf("accepted unsafe extent name %q", e.File)
			}
		}
		if d.ParentFileNameHint != "" && checkName(d.ParentFileNameHint) != nil {
			t.Fatalf("accepted unsafe parent %q", d.ParentFileNameHint)
		}
	})
}

func FuzzParseHeader(f *testing.F) {
	f.Add(append([]byte("KDMV"), make([]byte, 508)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseHeader(data)
	})
}
