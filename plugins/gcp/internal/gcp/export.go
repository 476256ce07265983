package gcp

import (
	"context"
	"fmt"
	"path"
	"strings"
	"sync"

	"cloud.google.com/go/compute/apiv1/computepb"
	"golang.org/x/sync/errgroup"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// parallelDisks is how many disks of one VM go through image, build and download at once.
const parallelDisks = 4

// export is one ExportVM call.
type export struct {
	p     *Provider
	c     *clients
	s     Settings
	t     timing
	spec  provider.ExportSpec
	r     provider.Reporter
	vm    provider.VM
	zone  string
	inst  *computepb.Instance
	disks []*computepb.AttachedDisk
	names names
	// format is what the builder writes: qcow2, or "" for its tar.gz of disk.raw (method raw).
	format string

	mu    sync.Mutex
	state resumeToken
}

// ExportVM snapshots every persistent disk (with the instance stopped for shutdown_vm, and
// started again as soon as the snapshots exist), then for each disk makes an image of its
// snapshot, runs the image-export build writing it to the staging bucket, deletes the snapshot,
// image and build once the object exists, downloads the object with parallel ranged reads and
// deletes it. Each thing is a hold recorded before it is made.
func (p *Provider) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	if err := spec.Validate(); err != nil {
		return provider.ExportResult{}, err
	}
	c, s, err := p.configured()
	if err != nil {
		return provider.ExportResult{}, err
	}
	vm, inst, err := p.getInstance(ctx, spec.VMID)
	if err != nil {
		return provider.ExportResult{}, err
	}
	ex := &export{p: p, c: c, s: s, t: p.timings(), spec: spec, r: r, vm: vm, zone: vm.Datacenter, inst: inst,
		disks: exportableDisks(inst), names: newNames(spec.JobID)}
	if spec.Method != provider.MethodRaw {
		ex.format = provider.FormatQCOW2
	}
	if len(ex.disks) == 0 {
		return provider.ExportResult{}, fmt.Errorf("%w: instance %s has no persistent disk to export", provider.ErrInvalidArgument, spec.VMID)
	}
	ex.state = resumeToken{VM: spec.VMID, Disks: make([]diskState, len(ex.disks))}
	if tok, ok := decodeToken(spec.ResumeToken, spec.VMID, len(ex.disks)); ok {
		ex.resume(ctx, tok)
	}
	r.Progress(provider.Progress{Phase: provider.PhasePreparing, Message: fmt.Sprintf("exporting %d disks of %s", len(ex.disks), spec.VMID)})
	if err := ex.snapshotAll(ctx); err != nil {
		return provider.ExportResult{}, err
	}
	arts := make([]provider.Artifact, len(ex.disks))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelDisks)
	for i := range ex.disks {
		g.Go(func() error {
			a, err := ex.exportDisk(gctx, i)
			arts[i] = a
			return err
		})
	}
	if err := g.Wait(); err != nil {
		if ctx.Err() != nil {
			return provider.ExportResult{}, fmt.Errorf("export %s: %w", spec.VMID, ctx.Err())
		}
		return provider.ExportResult{}, fmt.Errorf("export %s: %w", spec.VMID, err)
	}
	return provider.ExportResult{VM: vm, Artifacts: arts}, nil
}

// diskRef is a zonal disk's zone and name from the source URL an attached disk carries.
func diskRef(d *computepb.AttachedDisk) (zone, name string, err error) {
	parts := strings.Split(d.GetSource(), "/")
	for i := 0; i+3 < len(parts); i++ {
		if parts[i] == "zones" && parts[i+2] == "disks" {
			return parts[i+1], parts[i+3], nil
		}
	}
	return "", "", fmt.Errorf("%w: disk %q (%s) is not a zonal persistent disk; regional disks are not exported yet", provider.ErrUnsupported, d.GetDeviceName(), d.GetSource())
}

// snapshotAll snapshots every disk not resumed, stopping the instance around it for
// shutdown_vm.
func (ex *export) snapshotAll(ctx context.Context) error {
	var todo []int
	for i := range ex.disks {
		if !ex.disk(i).resumed {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if ex.spec.Options.ShutdownVM && ex.inst.GetStatus() == "RUNNING" {
		h, err := ex.stop(ctx)
		if err != nil {
			return err
		}
		defer ex.start(ctx, h)
	}
	for _, i := range todo {
		if err := ex.snapshot(ctx, i); err != nil {
			return err
		}
	}
	return nil
}

func (ex *export) snapshot(ctx context.Context, i int) error {
	zone, disk, err := diskRef(ex.disks[i])
	if err != nil {
		return err
	}
	name := ex.names.snapshot(i)
	if err := ex.r.Hold(ctx, snapshotHold(ex.s.Project, name, disk)); err != nil {
		return fmt.Errorf("record the hold on snapshot %s: %w", name, err)
	}
	what := "snapshot disk " + disk
	op, err := ex.c.disks.CreateSnapshot(ctx, &computepb.CreateSnapshotDiskRequest{Project: ex.s.Project, Zone: zone, Disk: disk,
		SnapshotResource: &computepb.Snapshot{Name: &name, Labels: ex.labels()}})
	if err != nil {
		return apiError(err, "%s of %s", what, ex.spec.VMID)
	}
	if err := waitOp(ctx, op, ex.t.poll, what, ex.cloudProgress(provider.PhaseSnapshotting, i, op.Name(), what)); err != nil {
		return err
	}
	return ex.update(ctx, i, func(st *diskState) { st.Snapshot = name })
}

// labels mark what the export makes, so an operator can find it in the console.
func (ex *export) labels() map[string]string {
	return map[string]string{"made-by": "hypersdk", "hypersdk-job": ex.names.base[len("hypersdk-"):]}
}

// cloudProgress reports a Compute Engine operation's own progress.
func (ex *export) cloudProgress(phase string, disk int, id, what string) func(float64) {
	return func(percent float64) {
		ex.r.Progress(provider.Progress{Phase: phase, Disk: disk, DiskName: ex.diskName(disk), OperationID: id, Operation: what, Percent: percent, Message: what})
	}
}

func (ex *export) diskName(i int) string { return path.Base(ex.disks[i].GetSource()) }
