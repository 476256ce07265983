package azure

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/plugins/azure/internal/armstandin"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

func exportSpec(t *testing.T, vm string) provider.ExportSpec {
	return provider.ExportSpec{JobID: "job-1", VMID: vm, Method: provider.MethodRaw, Dir: t.TempDir()}
}

func countCalls(srv *armstandin.Server, method, suffix string) int {
	n := 0
	for _, c := range srv.Calls() {
		if strings.HasPrefix(c, method+" ") && strings.HasSuffix(c, suffix) {
			n++
		}
	}
	return n
}

// An export writes each disk byte for byte as raw, sparse, from its allocated pages read in
// segments; reports Azure's own progress of the snapshot and grant operations; keeps no SAS in
// its token; and leaves nothing behind in Azure.
func TestExportWritesTheDisksAndLeavesNothing(t *testing.T) {
	f := newFixture(t, armstandin.Options{})
	// In process: the plugin boundary coalesces progress events, and this test reads them all.
	p := New()
	p.rangeSegment = 1 << 20 // several Get Page Ranges calls per disk
	cfg, _ := provider.NewConfig(f.settings)
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	spec := exportSpec(t, "rg-app/web-1")
	rec := &providertest.Recorder{}
	res, err := p.ExportVM(context.Background(), spec, rec)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Artifacts) != 2 {
		t.Fatalf("artifacts = %+v, want two disks", res.Artifacts)
	}
	for i, name := range []string{"web-1-os", "web-1-data"} {
		a := res.Artifacts[i]
		path := filepath.Join(spec.Dir, a.Path)
		if a.Format != provider.FormatRaw || a.Disk != i || !a.ExtentsKnown || a.Size != f.disks[name].SizeBytes {
			t.Errorf("artifact %d = %+v", i, a)
		}
		if err := provider.VerifyFileExtents(path, a); err != nil {
			t.Errorf("artifact %s: %v", a.Path, err)
		}
		sameBytes(t, path, f.disks[name])
		var data int64
		for _, e := range a.Extents {
			data += e.Length
		}
		if data >= a.Size/2 {
			t.Errorf("%s holds %d bytes of data of %d: the holes were written", a.Path, data, a.Size)
		}
	}
	ops := map[string]bool{}
	for _, e := range rec.Events() {
		if e.OperationID != "" && e.Percent > 0 && e.Percent < 100 {
			ops[e.Phase] = true
		}
	}
	if !ops[provider.PhaseSnapshotting] || !ops[provider.PhaseExportingInCloud] {
		t.Errorf("Azure's percentComplete was not reported for both operations: %v", ops)
	}
	if tok := string(rec.LastCheckpoint()); tok == "" || strings.Contains(tok, "sig=") || strings.Contains(tok, "http") {
		t.Errorf("resume token %q: want one, without a SAS", tok)
	}
	if left := rec.Holds(); len(left) != 0 {
		t.Errorf("holds left to the host: %+v", left)
	}
	if snaps := f.arm.Snapshots(); len(snaps) != 0 {
		t.Errorf("snapshots left in Azure: %v", snaps)
	}
	if n := countCalls(f.arm, http.MethodPost, "/endGetAccess"); n < 2 {
		t.Errorf("%d grants revoked, want both", n)
	}
}

// The contract's holds suite: each hold recorded before what it names exists, a refused hold
// stops the export, and Release undoes what a failed or cancelled export left, twice over.
func TestHolds(t *testing.T) {
	f := newFixture(t, armstandin.Options{})
	exists := func(h provider.Hold) (bool, error) {
		d, err := decodeHoldData(h)
		if err != nil {
			return false, err
		}
		switch h.Kind {
		case provider.HoldSnapshot:
			return f.arm.HasSnapshot(d.ResourceGroup, d.Snapshot), nil
		case provider.HoldGrant:
			return f.arm.HasGrant(d.ResourceGroup, d.Snapshot), nil
		}
		return f.arm.Power(d.ResourceGroup, d.VM) != "running", nil
	}
	providertest.RunHolds(t, plugin.ConnectInProcess(t, New()), providertest.HoldsSuite{Settings: f.settings, ExportVMID: "rg-app/web-1", Exists: exists})
}

// A SAS that expires before or during the copy is granted again, and the export completes.
func TestExpiredSASIsGrantedAgain(t *testing.T) {
	f := newFixture(t, armstandin.Options{})
	// In process: the recorder's pause must hold the provider up, which across the plugin
	// boundary (progress is not acknowledged) it would not.
	p := New()
	cfg, _ := provider.NewConfig(f.with("sas_duration", "3s"))
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	rec := &providertest.Recorder{OnProgress: func(pr provider.Progress) {
		if pr.Phase == provider.PhaseExportingInCloud && pr.Percent == 100 {
			once.Do(func() { time.Sleep(3500 * time.Millisecond) }) // Azurite refuses the SAS now
		}
	}}
	spec := exportSpec(t, "rg-batch/job-1")
	res, err := p.ExportVM(context.Background(), spec, rec)
	if err != nil {
		t.Fatal(err)
	}
	sameBytes(t, filepath.Join(spec.Dir, res.Artifacts[0].Path), f.disks["job-1-os"])
	if n := countCalls(f.arm, http.MethodPost, "/beginGetAccess"); n != 2 {
		t.Fatalf("%d grants, want 2: the expired SAS granted again once", n)
	}
}

// A grant that fails after the snapshot was made fails the export with Azure's error and
// leaves both holds; releasing them deletes the snapshot.
func TestGrantFailingAfterSnapshotLeavesHoldsThatRelease(t *testing.T) {
	f := newFixture(t, armstandin.Options{})
	p := configured(t, f.settings)
	f.arm.Fail("beginGetAccess", 0, "InternalOperationError", true)
	rec := &providertest.Recorder{}
	_, err := p.ExportVM(context.Background(), exportSpec(t, "rg-batch/job-1"), rec)
	if err == nil || !strings.Contains(err.Error(), "InternalOperationError") {
		t.Fatalf("export with a failing grant = %v, want Azure's error code", err)
	}
	held := rec.Holds()
	if len(held) != 2 || len(f.arm.Snapshots()) != 1 {
		t.Fatalf("holds %+v, snapshots %v: want the snapshot and grant held, the snapshot there", held, f.arm.Snapshots())
	}
	for i := len(held) - 1; i >= 0; i-- { // as the host does: the last recorded first
		if err := p.(provider.Releaser).Release(context.Background(), held[i]); err != nil {
			t.Fatalf("Release(%s): %v", held[i].Kind, err)
		}
	}
	if snaps := f.arm.Snapshots(); len(snaps) != 0 {
		t.Fatalf("snapshots after release: %v", snaps)
	}
}

func TestDiskWithDenyAllIsAClearError(t *testing.T) {
	f := newFixture(t, armstandin.Options{})
	d := f.disks["job-1-os"]
	d.NetworkAccessPolicy = "DenyAll"
	f.addDisk(d)
	p := configured(t, f.settings)
	rec := &providertest.Recorder{}
	_, err := p.ExportVM(context.Background(), exportSpec(t, "rg-batch/job-1"), rec)
	if !errors.Is(err, provider.ErrInvalidArgument) || !strings.Contains(err.Error(), "DenyAll") {
		t.Fatalf("export of a DenyAll disk = %v, want ErrInvalidArgument naming DenyAll", err)
	}
	if rec.HoldsRecorded() != 0 || len(f.arm.Snapshots()) != 0 {
		t.Fatal("a refused export made something")
	}
}

// shutdown_vm deallocates the VM under a power hold, and starts it again once its disks are
// snapshotted.
func TestShutdownVMDeallocatesAndStartsAgain(t *testing.T) {
	f := newFixture(t, armstandin.Options{})
	p := configured(t, f.settings)
	var sawDeallocated bool
	rec := &providertest.Recorder{OnProgress: func(pr provider.Progress) {
		if pr.Phase == provider.PhaseSnapshotting && f.arm.Power("rg-batch", "job-1") == "deallocated" {
			sawDeallocated = true
		}
	}}
	spec := exportSpec(t, "rg-batch/job-1")
	spec.Options.ShutdownVM = true
	if _, err := p.ExportVM(context.Background(), spec, rec); err != nil {
		t.Fatal(err)
	}
	if !sawDeallocated || f.arm.Power("rg-batch", "job-1") != "running" {
		t.Fatalf("deallocated while snapshotting: %v; power now %s, want running", sawDeallocated, f.arm.Power("rg-batch", "job-1"))
	}
	if rec.HoldsRecorded() != 3 || len(rec.Holds()) != 0 {
		t.Fatalf("%d holds recorded (want power, snapshot, grant), %+v left", rec.HoldsRecorded(), rec.Holds())
	}
}

// A retry with the token of a cancelled attempt reuses its snapshot (its hold still stands).
func TestRetryReusesTheSnapshot(t *testing.T) {
	f := newFixture(t, armstandin.Options{})
	p := configured(t, f.settings)
	ctx, cancel := context.WithCancel(context.Background())
	first := &providertest.Recorder{OnProgress: func(pr provider.Progress) {
		if pr.Phase == provider.PhaseDownloading {
			cancel()
		}
	}}
	spec := exportSpec(t, "rg-batch/job-1")
	if _, err := p.ExportVM(ctx, spec, first); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled export = %v", err)
	}
	puts := countCalls(f.arm, http.MethodPut, "")
	spec.ResumeToken = first.LastCheckpoint()
	res, err := p.ExportVM(context.Background(), spec, &providertest.Recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if now := countCalls(f.arm, http.MethodPut, ""); now != puts {
		t.Fatalf("the retry made %d new snapshots, want it to reuse the first", now-puts)
	}
	sameBytes(t, filepath.Join(spec.Dir, res.Artifacts[0].Path), f.disks["job-1-os"])
}

// A retry whose token names a snapshot still being made resumes its operation from the
// poller's resume token (as after a daemon restart): no second snapshot is asked for.
func TestRetryResumesTheSnapshotOperation(t *testing.T) {
	f := newFixture(t, armstandin.Options{Polls: 20})
	p := configured(t, f.settings)
	ctx, cancel := context.WithCancel(context.Background())
	first := &providertest.Recorder{OnProgress: func(pr provider.Progress) {
		if pr.Phase == provider.PhaseSnapshotting && pr.Percent > 0 && pr.Percent < 100 {
			cancel()
		}
	}}
	spec := exportSpec(t, "rg-batch/job-1")
	if _, err := p.ExportVM(ctx, spec, first); !errors.Is(err, context.Canceled) {
		t.Fatalf("export cancelled mid-snapshot = %v", err)
	}
	if tok := string(first.LastCheckpoint()); !strings.Contains(tok, `"poller":`) {
		t.Fatalf("token %q names no poller", tok)
	}
	puts := countCalls(f.arm, http.MethodPut, "")
	spec.ResumeToken = first.LastCheckpoint()
	res, err := p.ExportVM(context.Background(), spec, &providertest.Recorder{})
	if err != nil {
		t.Fatal(err)
	}
	if now := countCalls(f.arm, http.MethodPut, ""); now != puts {
		t.Fatalf("the retry asked for %d new snapshots, want it to resume the first's operation", now-puts)
	}
	sameBytes(t, filepath.Join(spec.Dir, res.Artifacts[0].Path), f.disks["job-1-os"])
}
