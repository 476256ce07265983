package vsphere

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/plugins/vsphere/internal/vcsim"
	"github.com/hypersdk/hypersdk/sdk/ovf"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

const testVM = "DC0_C0_RP0_VM0"

func configured(t *testing.T, sim *vcsim.Simulator) *Provider {
	t.Helper()
	p := New()
	cfg, _ := provider.NewConfig(simSettings(sim))
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return p
}

func exportSpec(t *testing.T, method string) provider.ExportSpec {
	return provider.ExportSpec{JobID: "job-1", VMID: testVM, Method: method, Dir: t.TempDir(), ChunkSize: 64 << 10, MaxRetries: 3}
}

// sameContent converts the exported VMDK back to raw with qemu-img and compares it with the
// image the simulator's disk was made from.
func sameContent(t *testing.T, sim *vcsim.Simulator, vmdk string) {
	t.Helper()
	raw, err := sim.RawDisk(testVM, 0)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("qemu-img", "compare", "-f", "vmdk", "-F", "raw", vmdk, raw).CombinedOutput(); err != nil {
		t.Fatalf("exported disk differs from the source: %v\n%s", err, out)
	}
}

func TestExportServesRealDisksAndDescriptor(t *testing.T) {
	sim := startSim(t, 2, 16)
	p := configured(t, sim)
	spec := exportSpec(t, provider.MethodOVF)
	rec := &providertest.Recorder{}
	res, err := p.ExportVM(context.Background(), spec, rec)
	if err != nil {
		t.Fatal(err)
	}
	var disk, desc provider.Artifact
	for _, a := range res.Artifacts {
		switch a.Kind {
		case provider.KindDisk:
			disk = a
		case provider.KindDescriptor:
			desc = a
		}
	}
	if disk.Path != testVM+"-disk0.vmdk" || disk.SHA256 == "" || desc.Path != testVM+".ovf" {
		t.Fatalf("artifacts = %+v", res.Artifacts)
	}
	sameContent(t, sim, filepath.Join(spec.Dir, disk.Path))
	raw, _ := os.ReadFile(filepath.Join(spec.Dir, desc.Path))
	vm, files, err := ovf.Parse(raw)
	if err != nil {
		t.Fatalf("descriptor does not parse: %v", err)
	}
	if len(files) != 1 || files[0].Href != disk.Path || files[0].Size != disk.Size || vm.Disks[0].CapacityBytes != 16<<20 {
		t.Errorf("descriptor disagrees with the export: vm %+v files %+v", vm, files)
	}
	var last provider.Progress
	for _, pr := range rec.Events() {
		if pr.Phase == provider.PhaseDownloading {
			last = pr
		}
	}
	if last.BytesDone != disk.Size || last.BytesTotal != disk.Size {
		t.Errorf("final progress %+v, want %d of %d", last, disk.Size, disk.Size)
	}
	if entries, _ := os.ReadDir(spec.Dir); len(entries) != 2 {
		t.Errorf("export left extra files: %v", entries)
	}
}

// Every fault a flaky vCenter or network produces ends in the same bytes, or in a clear error.
func TestExportSurvivesFaults(t *testing.T) {
	cases := []struct {
		name    string
		faults  vcsim.Faults
		retries int
		wantErr string
	}{
		{"connection dropped mid-disk resumes with Range", vcsim.Faults{DropAfterBytes: 100_000}, 3, ""},
		{"server ignoring Range restarts from zero", vcsim.Faults{DropAfterBytes: 100_000, IgnoreRange: true}, 3, ""},
		{"503s are retried", vcsim.Faults{ServiceUnavailable: 2}, 3, ""},
		{"503s beyond max_retries fail", vcsim.Faults{ServiceUnavailable: 5}, 1, "503"},
		{"expired lease fails at once", vcsim.Faults{ExpireLease: true}, 3, "NFC lease"},
	}
	sim := startSim(t, 1, 8)
	p := configured(t, sim)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sim.SetFaults(c.faults)
			defer sim.SetFaults(vcsim.Faults{})
			spec := exportSpec(t, provider.MethodVMDK)
			spec.MaxRetries = c.retries
			spec.ConvertTo = "qcow2" // the image decoded beside the download survives the faults too
			res, err := p.ExportVM(context.Background(), spec, &providertest.Recorder{})
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, c.wantErr)
				}
				if entries, _ := os.ReadDir(spec.Dir); len(entries) != 0 {
					t.Errorf("failed export left files: %v", entries)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			sameContent(t, sim, filepath.Join(spec.Dir, res.Artifacts[0].Path))
			sameConverted(t, sim, spec.Dir, res.Artifacts, 1)
		})
	}
}

// sameConverted checks that the export carries want converted disks, each an image that
// qemu-img finds whole and equal to the disk the simulator's VMDK was made from.
func sameConverted(t *testing.T, sim *vcsim.Simulator, dir string, artifacts []provider.Artifact, want int) {
	t.Helper()
	n := 0
	for _, a := range artifacts {
		if a.Kind != provider.KindConvertedDisk {
			continue
		}
		n++
		raw, err := sim.RawDisk(testVM, a.Disk)
		if err != nil {
			t.Fatal(err)
		}
		img := filepath.Join(dir, a.Path)
		if a.Format == "qcow2" {
			if out, err := exec.Command("qemu-img", "check", img).CombinedOutput(); err != nil {
				t.Fatalf("qemu-img check %s: %v\n%s", a.Path, err, out)
			}
		}
		if out, err := exec.Command("qemu-img", "compare", "-f", a.Format, "-F", "raw", img, raw).CombinedOutput(); err != nil {
			t.Errorf("converted disk %d differs from its source: %v %s", a.Disk, err, out)
		}
		if st, err := os.Stat(img); err != nil || st.Size() != a.Size {
			t.Errorf("converted disk %s: size %d reported, stat %v %v", a.Path, a.Size, st, err)
		}
	}
	if n != want {
		t.Fatalf("export has %d converted disks, want %d: %+v", n, want, artifacts)
	}
}

func TestResumeTokenSkipsFinishedDisks(t *testing.T) {
	sim := startSim(t, 1, 8)
	p := configured(t, sim)
	spec := exportSpec(t, provider.MethodVMDK)
	rec := &providertest.Recorder{}
	if _, err := p.ExportVM(context.Background(), spec, rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.LastCheckpoint()) == 0 {
		t.Fatal("no checkpoint reported")
	}
	before := sim.Downloads()
	spec.ResumeToken = rec.LastCheckpoint()
	res, err := p.ExportVM(context.Background(), spec, &providertest.Recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if sim.Downloads() != before {
		t.Errorf("resumed export downloaded again (%d → %d requests)", before, sim.Downloads())
	}
	sameContent(t, sim, filepath.Join(spec.Dir, res.Artifacts[0].Path))
}

func TestRemoveCDROMStripsTheDescriptor(t *testing.T) {
	sim := startSim(t, 1, 8)
	p := configured(t, sim)
	for _, remove := range []bool{false, true} {
		spec := exportSpec(t, provider.MethodOVF)
		spec.Options.RemoveCDROM = remove
		res, err := p.ExportVM(context.Background(), spec, &providertest.Recorder{})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := os.ReadFile(filepath.Join(spec.Dir, testVM+".ovf"))
		vm, _, err := ovf.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		if remove && (len(vm.CDROMs) != 0 || len(res.VM.CDROMs) != 0) {
			t.Errorf("remove_cdrom left CD-ROMs: descriptor %v, result %v", vm.CDROMs, res.VM.CDROMs)
		}
		if !remove && len(vm.CDROMs) == 0 && len(res.VM.CDROMs) > 0 {
			t.Errorf("descriptor lost the VM's CD-ROMs without remove_cdrom")
		}
		if len(vm.Disks) != 1 || len(vm.NICs) == 0 {
			t.Errorf("stripping CD-ROMs damaged the descriptor: %+v", vm)
		}
	}
}

func TestUnknownVMAndBadSettings(t *testing.T) {
	sim := startSim(t, 1, 8)
	p := configured(t, sim)
	if _, err := p.GetVM(context.Background(), "no-such-vm"); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("GetVM(unknown) = %v", err)
	}
	bad := []map[string]any{
		{"host": ""},
		{"host": sim.URL().String(), "username": "u", "password": "wrong", "insecure": true, "connection_pool_size": 0},
		{"host": sim.URL().String(), "bogus_key": 1},
		{"host": sim.URL().String(), "shutdown_timeout": "soon"},
	}
	for _, s := range bad {
		cfg, _ := provider.NewConfig(s)
		if err := New().Configure(context.Background(), cfg); !errors.Is(err, provider.ErrInvalidArgument) {
			t.Errorf("Configure(%v) = %v, want ErrInvalidArgument", s, err)
		}
	}
}

// A VM with two disks exports both, in parallel, each byte-identical to its source.
func TestExportTwoDisks(t *testing.T) {
	needQemuImg(t)
	sim, err := vcsim.Start(context.Background(), vcsim.Options{VMs: 1, DiskBytes: 8 << 20, DisksPerVM: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	p := configured(t, sim)
	spec := exportSpec(t, provider.MethodOVF)
	spec.ConvertTo = "raw"
	res, err := p.ExportVM(context.Background(), spec, &providertest.Recorder{})
	if err != nil {
		t.Fatal(err)
	}
	sameConverted(t, sim, spec.Dir, res.Artifacts, 2)
	disks := 0
	for _, a := range res.Artifacts {
		if a.Kind != provider.KindDisk {
			continue
		}
		raw, err := sim.RawDisk(testVM, a.Disk)
		if err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("qemu-img", "compare", "-f", "vmdk", "-F", "raw", filepath.Join(spec.Dir, a.Path), raw).CombinedOutput(); err != nil {
			t.Errorf("disk %d differs from its source: %v %s", a.Disk, err, out)
		}
		disks++
	}
	if disks != 2 || len(res.VM.Disks) != 2 {
		t.Fatalf("exported %d disks of %d", disks, len(res.VM.Disks))
	}
}

// With ConvertOnly the provider keeps just the converted images — also through a dropped
// connection (resumed with Range) and a server that ignores Range (the decoder starts over).
func TestExportConvertOnlyWritesNoDiskFiles(t *testing.T) {
	needQemuImg(t)
	sim := startSim(t, 1, 8)
	p := configured(t, sim)
	for _, f := range []vcsim.Faults{{}, {DropAfterBytes: 100_000}, {DropAfterBytes: 100_000, IgnoreRange: true}} {
		sim.SetFaults(f)
		spec := exportSpec(t, provider.MethodOVF)
		spec.ConvertTo, spec.ConvertOnly = "qcow2", true
		res, err := p.ExportVM(context.Background(), spec, &providertest.Recorder{})
		sim.SetFaults(vcsim.Faults{})
		if err != nil {
			t.Fatalf("faults %+v: %v", f, err)
		}
		sameConverted(t, sim, spec.Dir, res.Artifacts, 1)
		for _, a := range res.Artifacts {
			if a.Kind == provider.KindDisk {
				t.Errorf("faults %+v: a disk file was kept: %+v", f, a)
			}
		}
		if vmdks, _ := filepath.Glob(filepath.Join(spec.Dir, "*.vmdk*")); len(vmdks) != 0 {
			t.Errorf("faults %+v: disk files written: %v", f, vmdks)
		}
	}
}

// checkpointsOnly records checkpoints and drops progress. A Progress that takes a lock, as
// providertest.Recorder's does, would order the export's loop and its workers for the race detector and
// hide a race between them.
type checkpointsOnly struct {
	mu          sync.Mutex
	checkpoints [][]byte
}

func (r *checkpointsOnly) Progress(provider.Progress) {}
func (r *checkpointsOnly) Checkpoint(_ context.Context, b []byte) error {
	r.mu.Lock()
	r.checkpoints = append(r.checkpoints, b)
	r.mu.Unlock()
	return nil
}
func (r *checkpointsOnly) Hold(context.Context, provider.Hold) error     { return nil }
func (r *checkpointsOnly) Released(context.Context, provider.Hold) error { return nil }

// A resumed export of a VM with several disks downloads only the disks the token does not
// hold, while the skipped disks are checked: under -race this covers the resume token and the
// progress counters shared by the loop, the workers and the lease keep-alive.
func TestResumeMultiDiskExport(t *testing.T) {
	needQemuImg(t)
	const disks = 4
	sim, err := vcsim.Start(context.Background(), vcsim.Options{VMs: 1, DiskBytes: 4 << 20, DisksPerVM: disks})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	p := configured(t, sim)
	spec := exportSpec(t, provider.MethodVMDK)
	first := &providertest.Recorder{}
	if _, err := p.ExportVM(context.Background(), spec, first); err != nil {
		t.Fatal(err)
	}
	full := decodeToken(first.LastCheckpoint())
	if len(full.Disks) != disks {
		t.Fatalf("last checkpoint holds %d disks, want %d", len(full.Disks), disks)
	}

	// Disks 0 and 2 are lost; the workers fetching them run while disks 1 and 3 are checked.
	lost := []int{0, 2}
	for _, d := range lost {
		if err := os.Remove(filepath.Join(spec.Dir, full.Disks[d].File)); err != nil {
			t.Fatal(err)
		}
		delete(full.Disks, d)
	}
	spec.ResumeToken = full.encode()
	p.keepAlive = time.Millisecond // the lease keep-alive reads the counters all along
	before := sim.Downloads()
	again := &checkpointsOnly{}
	res, err := p.ExportVM(context.Background(), spec, again)
	if err != nil {
		t.Fatal(err)
	}
	if got := sim.Downloads() - before; got != len(lost) {
		t.Errorf("resumed export made %d download requests, want %d (only the lost disks)", got, len(lost))
	}
	if last := decodeToken(again.checkpoints[len(again.checkpoints)-1]); len(last.Disks) != disks {
		t.Errorf("last checkpoint of the resumed export holds %d disks, want %d: %+v", len(last.Disks), disks, last.Disks)
	}
	n := 0
	for _, a := range res.Artifacts {
		if a.Kind != provider.KindDisk {
			continue
		}
		n++
		raw, err := sim.RawDisk(testVM, a.Disk)
		if err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("qemu-img", "compare", "-f", "vmdk", "-F", "raw", filepath.Join(spec.Dir, a.Path), raw).CombinedOutput(); err != nil {
			t.Errorf("disk %d differs from its source: %v %s", a.Disk, err, out)
		}
	}
	if n != disks {
		t.Errorf("resumed export has %d disks, want %d: %+v", n, disks, res.Artifacts)
	}
}
