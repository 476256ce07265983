package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/convert"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

const diskBytes = 4 << 20

// sourceDisk writes the raw reference disk (data in two places, holes between) and, when
// format is not raw, the provider's file of it in format, made by qemu-img.
func sourceDisk(t *testing.T, qemu, dir, format string) (ref string, a provider.Artifact) {
	t.Helper()
	ref = filepath.Join(t.TempDir(), "ref.raw")
	f, err := os.Create(ref)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(diskBytes)
	f.WriteAt([]byte(strings.Repeat("hypersdk", 8192)), 1<<20)
	f.WriteAt([]byte("last sector"), diskBytes-512)
	f.Close()
	ext, driver, opts := format, qemuDriver(format), []string{}
	switch format {
	case provider.FormatVMDKStream:
		ext, opts = "vmdk", []string{"-o", "subformat=streamOptimized"}
	case provider.FormatVHD:
		opts = []string{"-o", "subformat=fixed,force_size=on"}
	}
	name := "vm-1-disk0." + ext
	args := append(append([]string{"convert", "-f", "raw", "-O", driver}, opts...), ref, filepath.Join(dir, name))
	if out, err := exec.Command(qemu, args...).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img %v: %v %s", args, err, out)
	}
	sum, size, err := provider.FileSHA256(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return ref, provider.Artifact{Path: name, Kind: provider.KindDisk, Format: format, Size: size, SHA256: sum, Disk: 0}
}

// qemuInfo is what qemu-img info says of an image: its format and VMDK subformat.
func qemuInfo(t *testing.T, qemu, path string) (format, subformat string) {
	t.Helper()
	out, err := exec.Command(qemu, "info", "--output=json", path).Output()
	if err != nil {
		t.Fatalf("qemu-img info %s: %v", path, err)
	}
	var info struct {
		Format         string `json:"format"`
		FormatSpecific struct {
			Data struct {
				CreateType string `json:"create-type"`
			} `json:"data"`
		} `json:"format-specific"`
	}
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatal(err)
	}
	return info.Format, info.FormatSpecific.Data.CreateType
}

// Whatever format the provider wrote its disk in, the package step delivers what the method
// promises — an OVF package of streamOptimized VMDKs, or images in the method's format — whose
// disks hold the provider's bytes, and which the daemon's own export reader parses back.
func TestPackageCompletesAnyFormat(t *testing.T) {
	t.Parallel()
	qemu := providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils; make test installs it")
	methods := []string{provider.MethodOVA, provider.MethodOVF, provider.MethodVMDK, provider.MethodRaw, provider.MethodQCOW2}
	formats := []string{provider.FormatRaw, provider.FormatQCOW2, provider.FormatVHD, provider.FormatVHDX, provider.FormatVMDKStream}
	for _, method := range methods {
		for _, format := range formats {
			t.Run(method+"/"+format, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				ref, a := sourceDisk(t, qemu, dir, format)
				verified, err := Verify(dir, []provider.Artifact{a})
				if err != nil {
					t.Fatal(err)
				}
				vm := provider.VM{ID: "vm-1", Name: "web", CPUs: 1, MemoryMB: 512, Firmware: provider.FirmwareBIOS,
					Disks: []provider.Disk{{Label: "Hard disk 1", CapacityBytes: diskBytes, Controller: "scsi"}}}
				st := &State{Kind: KindExport, ExportDir: dir, Spec: Spec{VMIdentifier: "vm-1", ExportMethod: method},
					Result: &Result{VM: vm}, Verified: verified, Log: hclog.NewNullLogger(), Track: func(provider.Progress) {},
					Env: &Env{KVM: KVMConfig{QemuImg: qemu}}}
				if _, err := (packageStep{}).Run(context.Background(), st); err != nil {
					t.Fatal(err)
				}
				wantFormat := methodFormat(method)
				kept := qemuDriver(format) == wantFormat
				var disks []Artifact
				descriptor := ""
				for _, r := range st.Result.Artifacts {
					switch r.Kind {
					case provider.KindDisk:
						disks = append(disks, r)
					case provider.KindDescriptor:
						descriptor = r.Path
					}
					got, sum := r, ""
					if sum, _, err = provider.FileSHA256(got.Path); err != nil || sum != got.SHA256 {
						t.Errorf("%s: result says sha256 %s, on disk %s (%v)", got.Path, got.SHA256, sum, err)
					}
				}
				switch method {
				case provider.MethodOVA:
					exp, err := convert.LoadExport(context.Background(), qemu, st.Result.OVA)
					if err != nil || len(exp.Disks) != 1 || exp.VM.Name != "web" {
						t.Fatalf("the OVA does not read back: %+v %v", exp, err)
					}
					// The member, read in place, is a streamOptimized VMDK of the provider's bytes.
					out := filepath.Join(t.TempDir(), "back.raw")
					if err := convert.Convert(context.Background(), qemu, exp.Disks[0], out, convert.Options{Format: convert.FormatRaw}, nil); err != nil {
						t.Fatal(err)
					}
					compareImages(t, qemu, ref, out)
					return
				case provider.MethodOVF:
					exp, err := convert.LoadExport(context.Background(), qemu, descriptor)
					if err != nil || len(exp.Disks) != 1 || exp.Disks[0].Format != "vmdk" {
						t.Fatalf("the OVF does not read back: %+v %v", exp, err)
					}
				}
				if len(disks) != 1 {
					t.Fatalf("result disks %+v", disks)
				}
				gotFormat, sub := qemuInfo(t, qemu, disks[0].Path)
				if gotFormat != wantFormat || wantFormat == "vmdk" && !kept && sub != "streamOptimized" {
					t.Errorf("delivered %s (%s), want %s", gotFormat, sub, wantFormat)
				}
				compareImages(t, qemu, ref, disks[0].Path)
				entries, _ := os.ReadDir(dir)
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				if kept && !slices.Contains(names, a.Path) || !kept && slices.Contains(names, a.Path) {
					t.Errorf("directory holds %v: the provider's %s should be %s", names, a.Path, map[bool]string{true: "kept", false: "replaced"}[kept])
				}
				if IsImageMethod(method) && len(names) != 1 {
					t.Errorf("a %s export holds %v, want the image alone", method, names)
				}
			})
		}
	}
}

// compareImages fails unless qemu-img finds the two images' guest-visible contents equal.
func compareImages(t *testing.T, qemu, a, b string) {
	t.Helper()
	if out, err := exec.Command(qemu, "compare", a, b).CombinedOutput(); err != nil {
		t.Errorf("%s and %s differ: %v %s", a, b, err, out)
	}
}

// A package step cut off by a crash runs again from the same verified files: the image it had
// finished (its source removed) is taken up, a stale .part is cleared, and an image of the same
// name left by an earlier job of the folder is made anew from the source still there.
func TestCompleteDisksResumes(t *testing.T) {
	t.Parallel()
	qemu := providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils; make test installs it")
	cases := []struct {
		name        string
		prepare     func(t *testing.T, dir string, src provider.Artifact)
		wantRemade  bool
		wantContent string // of the image delivered, when it is not remade
	}{
		{name: "finished, source gone", prepare: func(t *testing.T, dir string, src provider.Artifact) {
			os.WriteFile(filepath.Join(dir, "web-disk0.qcow2"), []byte("earlier run"), 0o644)
			os.Remove(filepath.Join(dir, src.Path))
		}, wantContent: "earlier run"},
		{name: "stale part and an earlier job's image", prepare: func(t *testing.T, dir string, src provider.Artifact) {
			os.WriteFile(filepath.Join(dir, "web-disk0.qcow2.part"), []byte("cut off"), 0o644)
			os.WriteFile(filepath.Join(dir, "web-disk0.qcow2"), []byte("earlier job"), 0o644)
		}, wantRemade: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			ref, a := sourceDisk(t, qemu, dir, provider.FormatRaw)
			verified, err := Verify(dir, []provider.Artifact{a})
			if err != nil {
				t.Fatal(err)
			}
			c.prepare(t, dir, a)
			st := &State{Kind: KindExport, ExportDir: dir, Spec: Spec{ExportMethod: provider.MethodQCOW2},
				Result: &Result{VM: provider.VM{Name: "web", Disks: []provider.Disk{{CapacityBytes: diskBytes}}}}, Verified: verified,
				Log: hclog.NewNullLogger(), Track: func(provider.Progress) {}, Env: &Env{KVM: KVMConfig{QemuImg: qemu}}}
			files, err := completeDisks(context.Background(), st, "web")
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != 1 || files[0].Name != "web-disk0.qcow2" {
				t.Fatalf("files %+v", files)
			}
			if exists(files[0].Path + ".part") {
				t.Error("the stale .part is still there")
			}
			if c.wantRemade {
				compareImages(t, qemu, ref, files[0].Path)
				return
			}
			if got, _ := os.ReadFile(files[0].Path); string(got) != c.wantContent {
				t.Errorf("delivered %q, want the earlier run's %q", got, c.wantContent)
			}
		})
	}
}

// A descriptor the provider wrote names its raw file; once the disk is a VMDK the host writes
// the descriptor from the VM's picture instead, and the provider's is gone.
func TestProviderDescriptorReplacedWhenDisksConverted(t *testing.T) {
	t.Parallel()
	qemu := providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils; make test installs it")
	dir := t.TempDir()
	_, disk := sourceDisk(t, qemu, dir, provider.FormatRaw)
	vm := provider.VM{Name: "web", CPUs: 1, MemoryMB: 512, Disks: []provider.Disk{{Label: "d", CapacityBytes: diskBytes}}}
	desc := writeFile(t, dir, "provider.ovf", "<Envelope>names vm-1-disk0.raw</Envelope>")
	desc.Kind, desc.Format = provider.KindDescriptor, "ovf"
	verified, err := Verify(dir, []provider.Artifact{disk, desc})
	if err != nil {
		t.Fatal(err)
	}
	st := &State{Kind: KindExport, ExportDir: dir, Spec: Spec{ExportMethod: provider.MethodOVF}, Result: &Result{VM: vm},
		Verified: verified, Log: hclog.NewNullLogger(), Track: func(provider.Progress) {}, Env: &Env{KVM: KVMConfig{QemuImg: qemu}}}
	if _, err := (packageStep{}).Run(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"web-disk0.vmdk", "web.mf", "web.ovf"}) {
		t.Fatalf("directory holds %v", names)
	}
	exp, err := convert.LoadExport(context.Background(), qemu, filepath.Join(dir, "web.ovf"))
	if err != nil || len(exp.Disks) != 1 || exp.Disks[0].Name != "web-disk0.vmdk" {
		t.Fatalf("the written descriptor: %+v %v", exp, err)
	}
}
