package awsprovider

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/hypersdk/hypersdk/plugins/aws/internal/ebsdirect"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// An export stopped mid-download resumes from its token with the same snapshots: the blocks
// below the token's watermark are not fetched again, and the disks come out whole.
func TestResumeFetchesOnlyWhatIsLeft(t *testing.T) {
	defer func(d time.Duration) { checkpointEvery = d }(checkpointEvery)
	checkpointEvery = 20 * time.Millisecond
	root := spread(120)
	rg := newRig(t, root, spread(8))
	rg.ebs.SetFaults(ebsdirect.Faults{Latency: 5 * time.Millisecond})
	rg.settings["download_workers"] = 2
	p := configured(t, rg.settings)
	dir := t.TempDir()
	spec := provider.ExportSpec{JobID: "job-r", VMID: rg.instance.ID, Method: provider.MethodRaw, Dir: dir}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := &providertest.Recorder{OnProgress: func(pr provider.Progress) {
		if pr.Phase == provider.PhaseDownloading && pr.Disk == 0 && pr.BytesDone >= 60*ebsdirect.BlockSize {
			cancel()
		}
	}}
	if _, err := p.ExportVM(ctx, spec, first); !errors.Is(err, context.Canceled) {
		t.Fatalf("first attempt = %v, want context.Canceled", err)
	}
	tok, ok := decodeToken(first.LastCheckpoint())
	if !ok || tok.Volumes[0].Next == 0 || tok.Volumes[0].Complete {
		t.Fatalf("the cancelled attempt checkpointed %+v; want the root volume part-way", tok)
	}
	snap := tok.Volumes[0].Snapshot
	_, before := rg.ebs.Gets(snap, 0)

	spec.ResumeToken = first.LastCheckpoint()
	second := &providertest.Recorder{}
	res, err := p.ExportVM(context.Background(), spec, second)
	if err != nil {
		t.Fatalf("resumed export: %v", err)
	}
	if snapshotOf(res, 0) != snap {
		t.Errorf("the resumed export used snapshot %s, want the token's %s", snapshotOf(res, 0), snap)
	}
	var below int
	for _, idx := range root {
		n, _ := rg.ebs.Gets(snap, idx)
		if idx < tok.Volumes[0].Next {
			below++
			if n != 1 {
				t.Errorf("block %d, below the watermark %d, was fetched %d times", idx, tok.Volumes[0].Next, n)
			}
		} else if n < 1 {
			t.Errorf("block %d was never fetched", idx)
		}
	}
	_, after := rg.ebs.Gets(snap, 0)
	t.Logf("watermark %d: %d of %d root blocks not fetched again; %d requests in the resumed attempt", tok.Volumes[0].Next, below, len(root), after-before)
	for i, a := range res.Artifacts {
		path := filepath.Join(dir, a.Path)
		if err := provider.VerifyFileExtents(path, a); err != nil {
			t.Errorf("disk %d: %v", i, err)
		}
		sameBlocks(t, path, rg.images[i])
	}
	if left := rg.ourSnapshots(t); len(left) > 0 {
		t.Errorf("snapshots left after the resumed export: %v", left)
	}

	// A token whose snapshots are gone (the host released them after a restart) starts over.
	third := &providertest.Recorder{}
	if _, err := p.ExportVM(context.Background(), spec, third); err != nil {
		t.Fatalf("export with a token naming deleted snapshots: %v", err)
	}
	if third.HoldsRecorded() == 0 {
		t.Error("starting over recorded no new snapshot hold")
	}
}

// shutdown_vm stops the instance before the snapshots (a power hold) and starts it again once
// they are taken.
func TestShutdownVMIsAPowerHold(t *testing.T) {
	rg := newRig(t, spread(4), spread(2))
	p := configured(t, rg.settings)
	rec := &providertest.Recorder{}
	var states []string
	rec.OnProgress = func(pr provider.Progress) {
		if pr.Phase == provider.PhaseSnapshotting {
			states = append(states, rg.instanceState(t))
		}
	}
	_, err := p.ExportVM(context.Background(), provider.ExportSpec{VMID: rg.instance.ID, Method: provider.MethodRaw, Dir: t.TempDir(),
		Options: provider.ExportOptions{ShutdownVM: true}}, rec)
	if err != nil {
		t.Fatal(err)
	}
	if rec.HoldsRecorded() < 3 || len(rec.Holds()) != 0 {
		t.Errorf("holds recorded %d, left %+v; want power + snapshots (twice), none left", rec.HoldsRecorded(), rec.Holds())
	}
	if got := rg.instanceState(t); got != "running" && got != "pending" {
		t.Errorf("instance is %s after the export, want running again", got)
	}
	t.Logf("instance states while snapshotting: %v", states)
}

// Release: an already deleted snapshot is released; a hold of another region or endpoint is
// refused; an instance stopped for the export is started.
func TestRelease(t *testing.T) {
	rg := newRig(t, spread(2), spread(2))
	p := configured(t, rg.settings)
	ctx := context.Background()
	hold := func(kind string, d holdData) provider.Hold {
		b, err := d.encode()
		if err != nil {
			t.Fatal(err)
		}
		return provider.Hold{Kind: kind, ID: kind + "-1", Data: b}
	}
	ep := rg.moto.URL
	if err := p.Release(ctx, hold(provider.HoldSnapshot, holdData{Region: "us-east-1", Endpoint: ep, Snapshots: []string{"snap-0123456789abcdef0"}, Tag: "none"})); err != nil {
		t.Errorf("Release of a snapshot already gone = %v, want released", err)
	}
	for _, d := range []holdData{{Region: "eu-west-1", Endpoint: ep}, {Region: "us-east-1", Endpoint: "http://elsewhere:1"}} {
		if err := p.Release(ctx, hold(provider.HoldSnapshot, d)); !errors.Is(err, provider.ErrInvalidArgument) {
			t.Errorf("Release of a hold from %+v = %v, want ErrInvalidArgument", d, err)
		}
	}
	if err := p.Release(ctx, provider.Hold{Kind: provider.HoldSnapshot, ID: "x", Data: []byte("not ours")}); !errors.Is(err, provider.ErrInvalidArgument) {
		t.Errorf("Release of a foreign hold = %v, want ErrInvalidArgument", err)
	}
	if _, err := rg.moto.EC2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{rg.instance.ID}}); err != nil {
		t.Fatal(err)
	}
	if err := p.Release(ctx, hold(provider.HoldPower, holdData{Region: "us-east-1", Endpoint: ep, Instance: rg.instance.ID})); err != nil {
		t.Fatal(err)
	}
	if got := rg.instanceState(t); got != "running" && got != "pending" {
		t.Errorf("instance is %s after releasing its power hold, want running", got)
	}
}

func (r *rig) instanceState(t *testing.T) string {
	t.Helper()
	out, err := r.moto.EC2.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{r.instance.ID}})
	if err != nil {
		t.Fatal(err)
	}
	return string(out.Reservations[0].Instances[0].State.Name)
}
