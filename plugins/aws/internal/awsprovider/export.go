package awsprovider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// checkpointEvery bounds how often a running download stores its resume token; tests lower it.
var checkpointEvery = time.Second

// exportRun is one ExportVM call.
type exportRun struct {
	st   state
	rc   *regionClients
	spec provider.ExportSpec
	r    provider.Reporter
	vm   provider.VM
	log  hclog.Logger

	cursors  *cursors
	cpMu     sync.Mutex
	cpLast   time.Time
	cpFailed error
}

// ExportVM exports an EC2 instance's EBS volumes as sparse raw disks: a crash-consistent
// snapshot set (a hold; with shutdown_vm the instance is stopped around CreateSnapshots, also a
// hold), the snapshots' written blocks read through EBS direct in parallel, the snapshots
// deleted once every disk is written. A retry whose snapshots still exist resumes from its
// token. The result's disks name their snapshots (Source "ebs:<volume>@<snapshot>").
func (p *Provider) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	if err := spec.Validate(); err != nil {
		return provider.ExportResult{}, err
	}
	st, err := p.state()
	if err != nil {
		return provider.ExportResult{}, err
	}
	vm, inst, rc, err := st.findInstance(ctx, spec.VMID)
	if err != nil {
		return provider.ExportResult{}, err
	}
	x := &exportRun{st: st, rc: rc, spec: spec, r: r, vm: vm, log: provider.Logger(ctx).With("instance", vm.ID)}
	if err := x.exportable(ctx, inst); err != nil {
		return provider.ExportResult{}, err
	}
	set, err := x.snapshots(ctx, inst)
	if err != nil {
		return provider.ExportResult{}, err
	}
	var artifacts []provider.Artifact
	for i := range vm.Disks {
		a, err := x.downloadDisk(ctx, i, set.byVolume[vm.Disks[i].Key])
		if err != nil {
			return provider.ExportResult{}, fmt.Errorf("export disk %d (%s, %s) of %s: %w", i, vm.Disks[i].Label, vm.Disks[i].Key, vm.ID, err)
		}
		artifacts = append(artifacts, a)
	}
	res := provider.ExportResult{VM: vm, Artifacts: artifacts}
	res.VM.Disks = append([]provider.Disk(nil), vm.Disks...)
	for i, d := range res.VM.Disks {
		res.VM.Disks[i].Source = "ebs:" + d.Key + "@" + set.byVolume[d.Key]
	}
	x.r.Progress(provider.Progress{Phase: provider.PhaseFinishing, Message: "deleting the export's snapshots"})
	x.undo(ctx, set.hold)
	return res, nil
}

// exportable refuses what EBS snapshots cannot carry: an instance that boots from instance
// store, or one without EBS volumes. Instance-store volumes beside EBS ones are named in the
// job's log: they are not exported.
func (x *exportRun) exportable(ctx context.Context, inst types.Instance) error {
	if inst.RootDeviceType == types.DeviceTypeInstanceStore {
		return fmt.Errorf("%w: instance %s boots from an instance-store volume, which cannot be snapshotted or exported; only EBS-backed instances export", provider.ErrUnsupported, x.vm.ID)
	}
	if len(x.vm.Disks) == 0 {
		return fmt.Errorf("%w: instance %s has no EBS volume to export", provider.ErrUnsupported, x.vm.ID)
	}
	types, err := x.st.types.lookup(ctx, x.rc, []types.InstanceType{inst.InstanceType})
	if err != nil {
		return err
	}
	if local := types[inst.InstanceType].localDisk; local > 0 {
		msg := fmt.Sprintf("instance %s (%s) has %d GiB of instance-store volumes: they are not exportable and are left out; only its %d EBS volumes are exported",
			x.vm.ID, inst.InstanceType, local>>30, len(x.vm.Disks))
		x.log.Warn(msg)
		x.r.Progress(provider.Progress{Phase: provider.PhasePreparing, Message: msg})
	}
	return nil
}

// snapshots resumes the snapshots of the token when they still exist, or makes a new set
// (stopping the instance around it for shutdown_vm) and waits for it to complete.
func (x *exportRun) snapshots(ctx context.Context, inst types.Instance) (snapshotSet, error) {
	x.cursors = &cursors{tok: resumeToken{Instance: x.vm.ID, Region: x.rc.region, Volumes: make([]volumeCursor, len(x.vm.Disks))}}
	if tok, ok := decodeToken(x.spec.ResumeToken); ok && tok.Instance == x.vm.ID && tok.Region == x.rc.region {
		set, err := x.resume(ctx, tok)
		if err == nil {
			return set, nil
		}
		if !errors.Is(err, errNoResume) {
			return snapshotSet{}, err
		}
		x.log.Info("the snapshots of the last attempt are gone; taking new ones")
		x.cursors.tok.Volumes = make([]volumeCursor, len(x.vm.Disks))
	}
	var power *provider.Hold
	if x.spec.Options.ShutdownVM {
		var err error
		if power, err = x.stopForExport(ctx, inst); err != nil {
			return snapshotSet{}, err
		}
	}
	set, err := x.createSnapshots(ctx)
	if power != nil {
		// The snapshots' point in time is fixed once CreateSnapshots returns: the instance
		// runs again while they complete and download.
		x.undo(ctx, *power)
	}
	if err != nil {
		return snapshotSet{}, err
	}
	x.cursors.tok.Hold = set.hold.ID
	for i, d := range x.vm.Disks {
		x.cursors.tok.Volumes[i] = volumeCursor{Volume: d.Key, Snapshot: set.byVolume[d.Key]}
	}
	if err := x.checkpoint(ctx, true); err != nil {
		return snapshotSet{}, err
	}
	if err := x.waitSnapshots(ctx, set); err != nil {
		return snapshotSet{}, err
	}
	return set, nil
}

// resume takes the token's snapshots back when each still exists and matches a disk.
func (x *exportRun) resume(ctx context.Context, tok resumeToken) (snapshotSet, error) {
	set := snapshotSet{byVolume: map[string]string{}}
	var ids []string
	for _, c := range tok.Volumes {
		set.byVolume[c.Volume] = c.Snapshot
		ids = append(ids, c.Snapshot)
	}
	for i, d := range x.vm.Disks {
		if set.byVolume[d.Key] == "" {
			return set, errNoResume
		}
		for _, c := range tok.Volumes {
			if c.Volume == d.Key {
				x.cursors.tok.Volumes[i] = c
			}
		}
	}
	if err := x.existingSnapshots(ctx, ids); err != nil {
		return set, err
	}
	data, err := holdData{Region: x.rc.region, Endpoint: x.st.settings.EC2Endpoint, Instance: x.vm.ID, Snapshots: ids}.encode()
	if err != nil {
		return set, err
	}
	// The hold of the attempt that made them is still the host's; this one says the same, so
	// the export can release it on success.
	set.hold = provider.Hold{Kind: provider.HoldSnapshot, ID: tok.Hold, Data: data}
	x.cursors.tok.Hold = tok.Hold
	x.log.Info("resuming with the snapshots of the last attempt", "snapshots", ids)
	if err := x.waitSnapshots(ctx, set); err != nil {
		return set, err
	}
	return set, nil
}

// downloadDisk writes disk i from its snapshot into <instance>-disk<i>.raw and returns it as
// an artifact with its data extents.
func (x *exportRun) downloadDisk(ctx context.Context, i int, snapshot string) (provider.Artifact, error) {
	disk := x.vm.Disks[i]
	name := provider.SafeName(x.vm.ID) + fmt.Sprintf("-disk%d.raw", i)
	path, err := provider.SafeJoin(x.spec.Dir, name)
	if err != nil {
		return provider.Artifact{}, err
	}
	cur := x.cursors.get(i)
	fresh := cur.Next == 0 && !cur.Complete
	if st, err := os.Stat(path); err != nil || st.Size() != disk.CapacityBytes {
		fresh = true
	}
	if fresh {
		cur = volumeCursor{Volume: disk.Key, Snapshot: snapshot}
		x.cursors.set(i, cur)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return provider.Artifact{}, fmt.Errorf("create %s: %w", name, err)
	}
	defer f.Close()
	if fresh {
		if err := f.Truncate(0); err != nil {
			return provider.Artifact{}, err
		}
		if err := f.Truncate(disk.CapacityBytes); err != nil {
			return provider.Artifact{}, fmt.Errorf("size %s to %d bytes: %w", name, disk.CapacityBytes, err)
		}
	}
	if !cur.Complete {
		d := &volumeDownload{x: x, disk: i, snapshot: snapshot, file: f, capacity: disk.CapacityBytes, cursor: cur}
		if err := d.run(ctx); err != nil {
			return provider.Artifact{}, err
		}
	}
	if err := f.Sync(); err != nil {
		return provider.Artifact{}, fmt.Errorf("sync %s: %w", name, err)
	}
	extents, err := provider.FileExtents(path)
	if err != nil {
		return provider.Artifact{}, fmt.Errorf("extents of %s: %w", name, err)
	}
	return provider.Artifact{Path: name, Kind: provider.KindDisk, Format: provider.FormatRaw, Size: disk.CapacityBytes,
		Disk: i, Extents: extents, ExtentsKnown: true}, nil
}

// checkpoint stores the resume token, at most every checkpointEvery unless forced. A refused
// checkpoint stops the export.
func (x *exportRun) checkpoint(ctx context.Context, force bool) error {
	x.cpMu.Lock()
	defer x.cpMu.Unlock()
	if x.cpFailed != nil {
		return x.cpFailed
	}
	if !force && time.Since(x.cpLast) < checkpointEvery {
		return nil
	}
	tok, err := x.cursors.encode()
	if err == nil {
		err = x.r.Checkpoint(ctx, tok)
	}
	if err != nil {
		x.cpFailed = fmt.Errorf("checkpoint: %w", err)
		return x.cpFailed
	}
	x.cpLast = time.Now()
	return nil
}

// undo releases a hold itself and tells the host; what it cannot undo stays held, and the
// host releases it.
func (x *exportRun) undo(ctx context.Context, h provider.Hold) {
	if err := x.st.release(ctx, h); err != nil {
		x.log.Warn("cannot undo what the export made; the host will release it", "kind", h.Kind, "id", h.ID, "error", err)
		return
	}
	if err := x.r.Released(ctx, h); err != nil {
		x.log.Warn("the host did not record a release; it will release again, harmlessly", "kind", h.Kind, "id", h.ID, "error", err)
	}
}

// blockError explains an EBS direct failure: a KMS key the account may not use, a snapshot
// EBS direct does not serve, or the usual mapping.
func (x *exportRun) blockError(what, snapshot string, err error) error {
	var denied interface{ ErrorCode() string }
	if errors.As(err, &denied) && denied.ErrorCode() == "AccessDeniedException" {
		return fmt.Errorf("%s: %w: this account cannot read snapshot %s — if it is encrypted, the credentials need kms:Decrypt (and ebs:GetSnapshotBlock) on its KMS key: %v", what, provider.ErrAuth, snapshot, err)
	}
	if code := errorCode(err); code == "ValidationException" {
		return fmt.Errorf("%s: %w: EBS direct refuses snapshot %s (archived, Outposts-local and public snapshots are not readable): %v", what, provider.ErrUnsupported, snapshot, err)
	}
	return awsError(what, err)
}
