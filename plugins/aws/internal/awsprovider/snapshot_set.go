package awsprovider

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// snapshotSet is the crash-consistent snapshots of one export, one per EBS volume, and the
// hold that names them.
type snapshotSet struct {
	hold     provider.Hold
	byVolume map[string]string // volume id → snapshot id
}

// createSnapshots records the hold, then takes one crash-consistent snapshot of every EBS
// volume of the instance (CreateSnapshots), each tagged with the hold's tag, then records the
// hold again with the snapshot ids. If the host cannot store the hold, nothing is made.
func (x *exportRun) createSnapshots(ctx context.Context) (snapshotSet, error) {
	suffix := newSuffix()
	d := holdData{Region: x.rc.region, Endpoint: x.st.settings.EC2Endpoint, Instance: x.vm.ID, Tag: suffix}
	data, err := d.encode()
	if err != nil {
		return snapshotSet{}, err
	}
	set := snapshotSet{byVolume: map[string]string{}, hold: provider.Hold{Kind: provider.HoldSnapshot, ID: "snapshots-" + suffix,
		Description: fmt.Sprintf("EBS snapshots of the %d volumes of %s (%s), tagged %s=%s", len(x.vm.Disks), x.vm.ID, x.rc.region, tagHold, suffix), Data: data}}
	if err := x.r.Hold(ctx, set.hold); err != nil {
		return snapshotSet{}, fmt.Errorf("record the snapshot hold: %w", err)
	}
	tags := []types.Tag{{Key: aws.String(tagHold), Value: aws.String(suffix)},
		{Key: aws.String("Name"), Value: aws.String("hypersdk export of " + x.vm.Name)}}
	if x.spec.JobID != "" {
		tags = append(tags, types.Tag{Key: aws.String(tagJob), Value: aws.String(x.spec.JobID)})
	}
	out, err := x.rc.ec2.CreateSnapshots(ctx, &ec2.CreateSnapshotsInput{
		InstanceSpecification: &types.InstanceSpecification{InstanceId: aws.String(x.vm.ID), ExcludeBootVolume: aws.Bool(false)},
		Description:           aws.String("hypersdk export of " + x.vm.ID),
		TagSpecifications:     []types.TagSpecification{{ResourceType: types.ResourceTypeSnapshot, Tags: tags}},
	})
	if err != nil {
		return set, awsError("create snapshots of "+x.vm.ID, err)
	}
	for _, s := range out.Snapshots {
		id := aws.ToString(s.SnapshotId)
		set.byVolume[aws.ToString(s.VolumeId)] = id
		d.Snapshots = append(d.Snapshots, id)
		d.Owner = aws.ToString(s.OwnerId)
	}
	if set.hold.Data, err = d.encode(); err != nil {
		return set, err
	}
	if err := x.r.Hold(ctx, set.hold); err != nil {
		return set, fmt.Errorf("record the snapshot ids in their hold: %w", err)
	}
	for _, disk := range x.vm.Disks {
		if set.byVolume[disk.Key] == "" {
			return set, fmt.Errorf("CreateSnapshots of %s made no snapshot of volume %s (%s)", x.vm.ID, disk.Key, disk.Label)
		}
	}
	x.log.Info("snapshots created", "snapshots", d.Snapshots)
	return set, nil
}

// waitSnapshots waits with EC2's SnapshotCompleted waiter, passing each snapshot's progress
// percentage on as the job's progress, and fails clearly on a snapshot in state error and on
// one EBS direct cannot read (archived, on an Outpost).
func (x *exportRun) waitSnapshots(ctx context.Context, set snapshotSet) error {
	ids := make([]string, 0, len(set.byVolume))
	for _, d := range x.vm.Disks {
		ids = append(ids, set.byVolume[d.Key])
	}
	var last []types.Snapshot
	w := ec2.NewSnapshotCompletedWaiter(x.rc.ec2, func(o *ec2.SnapshotCompletedWaiterOptions) {
		o.MinDelay = x.st.timing.poll
		o.MaxDelay = max(x.st.timing.poll, 4*x.st.timing.poll)
		o.Retryable = func(ctx context.Context, _ *ec2.DescribeSnapshotsInput, out *ec2.DescribeSnapshotsOutput, err error) (bool, error) {
			if err != nil {
				return false, awsError("describe snapshots "+strings.Join(ids, ", "), err)
			}
			last = out.Snapshots
			done := len(out.Snapshots) > 0
			for _, s := range out.Snapshots {
				x.reportSnapshot(s)
				switch s.State {
				case types.SnapshotStateError:
					return false, fmt.Errorf("snapshot %s of volume %s failed: %s", aws.ToString(s.SnapshotId), aws.ToString(s.VolumeId), aws.ToString(s.StateMessage))
				case types.SnapshotStateCompleted:
				default:
					done = false
				}
			}
			return !done, nil
		}
	})
	if err := w.Wait(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: ids}, x.st.timing.snapshot); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if strings.Contains(err.Error(), "exceeded max wait time") {
			return fmt.Errorf("%w: snapshots %s not completed within snapshot_timeout %s", provider.ErrUnavailable, strings.Join(ids, ", "), x.st.timing.snapshot)
		}
		return err
	}
	for _, s := range last {
		if err := readable(s); err != nil {
			return err
		}
	}
	return nil
}

// reportSnapshot passes a snapshot's own progress on: phase snapshotting, the snapshot as the
// operation, its percentage as EC2 reports it ("87%").
func (x *exportRun) reportSnapshot(s types.Snapshot) {
	pct, _ := strconv.ParseFloat(strings.TrimSuffix(aws.ToString(s.Progress), "%"), 64)
	if s.State == types.SnapshotStateCompleted {
		pct = 100
	}
	x.r.Progress(provider.Progress{Phase: provider.PhaseSnapshotting, OperationID: aws.ToString(s.SnapshotId),
		Operation: "snapshot of " + aws.ToString(s.VolumeId), Percent: pct,
		Message: fmt.Sprintf("snapshot %s of %s: %s %.0f%%", aws.ToString(s.SnapshotId), aws.ToString(s.VolumeId), s.State, pct)})
}

// readable refuses the snapshots the EBS direct APIs do not serve.
func readable(s types.Snapshot) error {
	id := aws.ToString(s.SnapshotId)
	switch {
	case s.StorageTier == types.StorageTierArchive:
		return fmt.Errorf("%w: snapshot %s is archived; the EBS direct APIs cannot read archived snapshots (restore it to the standard tier first)", provider.ErrUnsupported, id)
	case aws.ToString(s.OutpostArn) != "":
		return fmt.Errorf("%w: snapshot %s is stored on Outpost %s; the EBS direct APIs cannot read Outposts-local snapshots", provider.ErrUnsupported, id, aws.ToString(s.OutpostArn))
	}
	return nil
}

// existingSnapshots checks that the snapshots a resume token names still exist and are
// usable; errNoResume when any is gone (the host released them after a restart).
func (x *exportRun) existingSnapshots(ctx context.Context, ids []string) error {
	out, err := x.rc.ec2.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{SnapshotIds: ids})
	if notFoundCodes[errorCode(err)] {
		return errNoResume
	}
	if err != nil {
		return awsError("describe the snapshots of the resume token", err)
	}
	if len(out.Snapshots) != len(ids) {
		return errNoResume
	}
	for _, s := range out.Snapshots {
		if s.State == types.SnapshotStateError {
			return errNoResume
		}
	}
	return nil
}

var errNoResume = errors.New("the resume token's snapshots are gone")
