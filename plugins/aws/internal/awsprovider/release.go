package awsprovider

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Release undoes a hold from the hold and the configuration alone, in any process: it deletes
// an export's snapshots (found by their ids and by their hypersdk:hold tag, so also those whose
// ids were never learnt) or starts an instance stopped for shutdown_vm. It is idempotent:
// InvalidSnapshot.NotFound, a running or terminated instance all count as released. A hold of
// another region or endpoint is refused, so nothing that is not ours is touched.
func (p *Provider) Release(ctx context.Context, h provider.Hold) error {
	st, err := p.state()
	if err != nil {
		return err
	}
	return st.release(ctx, h)
}

func (st state) release(ctx context.Context, h provider.Hold) error {
	d, err := decodeHoldData(h)
	if err != nil {
		return err
	}
	if d.Endpoint != st.settings.EC2Endpoint {
		return fmt.Errorf("%w: release %s %s: recorded against EC2 endpoint %q, this instance uses %q", provider.ErrInvalidArgument, h.Kind, h.ID, d.Endpoint, st.settings.EC2Endpoint)
	}
	rc, err := st.region(d.Region)
	if err != nil {
		return fmt.Errorf("release %s %s: %w", h.Kind, h.ID, err)
	}
	switch h.Kind {
	case provider.HoldSnapshot:
		return deleteSnapshots(ctx, rc, d)
	case provider.HoldPower:
		return startInstance(ctx, rc, d.Instance)
	}
	return fmt.Errorf("%w: release %s %s: the AWS provider holds only snapshots and power", provider.ErrInvalidArgument, h.Kind, h.ID)
}

// deleteSnapshots deletes the snapshots of one export: those named, and those carrying its tag
// in the caller's own account.
func deleteSnapshots(ctx context.Context, rc *regionClients, d holdData) error {
	ids := append([]string(nil), d.Snapshots...)
	if d.Tag != "" {
		pages := ec2.NewDescribeSnapshotsPaginator(rc.ec2, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"},
			Filters: []types.Filter{{Name: aws.String("tag:" + tagHold), Values: []string{d.Tag}}}})
		for pages.HasMorePages() {
			page, err := pages.NextPage(ctx)
			if err != nil {
				return awsError("find the snapshots tagged "+tagHold+"="+d.Tag, err)
			}
			for _, s := range page.Snapshots {
				if id := aws.ToString(s.SnapshotId); !contains(ids, id) {
					ids = append(ids, id)
				}
			}
		}
	}
	for _, id := range ids {
		_, err := rc.ec2.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(id)})
		switch code := errorCode(err); {
		case err == nil:
			provider.Logger(ctx).Info("deleted snapshot", "snapshot", id, "instance", d.Instance)
		case code == "InvalidSnapshot.NotFound":
			// Already gone: released.
		case code == "IncorrectState" || code == "InvalidSnapshot.InUse":
			return fmt.Errorf("delete snapshot %s: %w: not yet deletable (%v)", id, provider.ErrUnavailable, err)
		default:
			return awsError("delete snapshot "+id, err)
		}
	}
	return nil
}

// startInstance starts an instance the export stopped. One still stopping cannot be started
// yet (ErrUnavailable: the host retries); one running, starting or gone needs nothing.
func startInstance(ctx context.Context, rc *regionClients, id string) error {
	out, err := rc.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if notFoundCodes[errorCode(err)] {
		return nil
	}
	if err != nil {
		return awsError("describe instance "+id, err)
	}
	insts := instancesOf(out.Reservations)
	if len(insts) == 0 || insts[0].State == nil {
		return nil
	}
	switch insts[0].State.Name {
	case types.InstanceStateNameStopping:
		return fmt.Errorf("start instance %s: %w: it is still stopping", id, provider.ErrUnavailable)
	case types.InstanceStateNameStopped:
		if _, err := rc.ec2.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}}); err != nil {
			return awsError("start instance "+id, err)
		}
		provider.Logger(ctx).Info("started the instance stopped for the export", "instance", id)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, have := range list {
		if have == s {
			return true
		}
	}
	return false
}
