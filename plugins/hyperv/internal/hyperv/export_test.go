package hyperv

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/psscript"
	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/standin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// With shutdown_vm the VM is off while its disk is read and running again after; the power
// hold, the checkpoint and the export folder are all undone and reported released, and the disk
// written is the VM's VHDX byte for byte.
func TestExportShutsDownAndRestoresPower(t *testing.T) {
	s := standin.StartT(t, standin.Options{})
	p := configured(t, s, nil)
	var read, readWhileOn atomic.Bool // progress comes from every reader at once
	rec := &providertest.Recorder{OnProgress: func(pr provider.Progress) {
		if pr.Phase == provider.PhaseDownloading {
			vm, _ := s.Host.VM(standin.VMID)
			read.Store(true)
			if vm.State != "Off" {
				readWhileOn.Store(true)
			}
		}
	}}
	dir := t.TempDir()
	res, err := p.ExportVM(context.Background(), provider.ExportSpec{JobID: "job-1", VMID: standin.VMID, Method: provider.MethodRaw, Dir: dir,
		Options: provider.ExportOptions{ShutdownVM: true}}, rec)
	if err != nil {
		t.Fatal(err)
	}
	vm, _ := s.Host.VM(standin.VMID)
	if !read.Load() || readWhileOn.Load() || vm.State != "Running" {
		t.Errorf("disk read: %v, while the VM ran: %v; state after: %s; want read while off, then running", read.Load(), readWhileOn.Load(), vm.State)
	}
	if left := rec.Holds(); len(left) != 0 || len(s.Host.Checkpoints(standin.VMID)) != 0 || len(s.Host.Folders()) != 0 {
		t.Errorf("left: holds %v, checkpoints %v, folders %v", left, s.Host.Checkpoints(standin.VMID), s.Host.Folders())
	}
	want := []string{psscript.ListVMs, psscript.StopVM, psscript.CreateCheckpoint, psscript.StartExport, psscript.ExportStatus,
		psscript.RemoveExport, psscript.RemoveCheckpoint, psscript.StartVM}
	if ran := slices.Compact(s.Host.Ran()[1:]); !slices.Equal(ran, want) { // [0] is Configure's listing
		t.Errorf("scripts run %v, want %v", ran, want)
	}
	if len(res.Artifacts) != 1 || res.Artifacts[0].Format != provider.FormatVHDX || res.VM.PowerState != provider.PowerOff {
		t.Fatalf("result %+v", res)
	}
	got, err := os.ReadFile(filepath.Join(dir, res.Artifacts[0].Path))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(s.Disk)
	if err != nil || !bytes.Equal(got, src) {
		t.Fatalf("the exported disk (%d bytes) differs from the VM's VHDX (%d bytes, %v)", len(got), len(src), err)
	}
}

// An attempt resumed from its token finds the checkpoint and the export job of the first one:
// the host makes no second checkpoint or export folder.
func TestExportResumesOnItsCheckpointAndExportJob(t *testing.T) {
	s := standin.StartT(t, standin.Options{})
	p := configured(t, s, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The first attempt is cancelled as its disk starts to be read: the export job has run.
	first := &providertest.Recorder{OnProgress: func(pr provider.Progress) {
		if pr.Phase == provider.PhaseDownloading {
			cancel()
		}
	}}
	_, err := p.ExportVM(ctx, provider.ExportSpec{JobID: "job-2", VMID: standin.VMID, Method: provider.MethodRaw, Dir: t.TempDir()}, first)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("first attempt = %v, want cancelled", err)
	}
	cps, folders := s.Host.Checkpoints(standin.VMID), s.Host.Folders()
	if len(cps) != 1 || len(folders) != 1 {
		t.Fatalf("after the first attempt: checkpoints %v, folders %v", cps, folders)
	}
	token := first.LastCheckpoint()
	second := &providertest.Recorder{OnProgress: func(provider.Progress) {
		if c, f := s.Host.Checkpoints(standin.VMID), s.Host.Folders(); len(c) > 1 || len(f) > 1 {
			t.Errorf("the resumed attempt made more: checkpoints %v, folders %v", c, f)
		}
	}}
	if _, err := p.ExportVM(context.Background(), provider.ExportSpec{JobID: "job-2", VMID: standin.VMID, Method: provider.MethodRaw, Dir: t.TempDir(), ResumeToken: token}, second); err != nil {
		t.Fatal(err)
	}
	if c, f := s.Host.Checkpoints(standin.VMID), s.Host.Folders(); len(c) != 0 || len(f) != 0 {
		t.Fatalf("left after the resumed attempt: checkpoints %v, folders %v", c, f)
	}
}

// An attempt stopped once its checkpoint exists (a production checkpoint can take minutes, and
// a crash may come then) has already checkpointed the name it gave it: the resumed attempt
// finds that checkpoint and makes no second one.
func TestExportResumedAfterTheCheckpointMakesNoSecond(t *testing.T) {
	s := standin.StartT(t, standin.Options{})
	p := configured(t, s, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := &providertest.Recorder{OnProgress: func(pr provider.Progress) {
		if pr.Phase == provider.PhaseSnapshotting && pr.Percent == 100 {
			cancel()
		}
	}}
	_, err := p.ExportVM(ctx, provider.ExportSpec{JobID: "job-3", VMID: standin.VMID, Method: provider.MethodRaw, Dir: t.TempDir()}, first)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("first attempt = %v, want cancelled", err)
	}
	if cps := s.Host.Checkpoints(standin.VMID); len(cps) != 1 {
		t.Fatalf("after the first attempt: checkpoints %v, want 1", cps)
	}
	second := &providertest.Recorder{OnProgress: func(provider.Progress) {
		if c := s.Host.Checkpoints(standin.VMID); len(c) > 1 {
			t.Errorf("the resumed attempt made a second checkpoint: %v", c)
		}
	}}
	spec := provider.ExportSpec{JobID: "job-3", VMID: standin.VMID, Method: provider.MethodRaw, Dir: t.TempDir(), ResumeToken: first.LastCheckpoint()}
	if _, err := p.ExportVM(context.Background(), spec, second); err != nil {
		t.Fatal(err)
	}
	if c := s.Host.Checkpoints(standin.VMID); len(c) != 0 {
		t.Fatalf("left after the resumed attempt: checkpoints %v", c)
	}
}

// A host export job that failed is not found again by the retry: the failed attempt removes its
// folder (whose marker names the job), so the retry starts a new export and completes.
func TestExportRetriedAfterTheHostExportFailed(t *testing.T) {
	s := standin.StartT(t, standin.Options{})
	p := configured(t, s, nil)
	aside := s.Disk + ".aside"
	if err := os.Rename(s.Disk, aside); err != nil { // the host's copy of the disk fails
		t.Fatal(err)
	}
	first := &providertest.Recorder{}
	_, err := p.ExportVM(context.Background(), provider.ExportSpec{JobID: "job-4", VMID: standin.VMID, Method: provider.MethodRaw, Dir: t.TempDir()}, first)
	if err == nil || !strings.Contains(err.Error(), "export of VM") {
		t.Fatalf("first attempt = %v, want the host's export failed", err)
	}
	if f := s.Host.Folders(); len(f) != 0 {
		t.Fatalf("the failed export's folder stays: %v", f)
	}
	if err := os.Rename(aside, s.Disk); err != nil {
		t.Fatal(err)
	}
	spec := provider.ExportSpec{JobID: "job-4", VMID: standin.VMID, Method: provider.MethodRaw, Dir: t.TempDir(), ResumeToken: first.LastCheckpoint()}
	if _, err := p.ExportVM(context.Background(), spec, &providertest.Recorder{}); err != nil {
		t.Fatalf("the retry = %v, want it to export again", err)
	}
}
