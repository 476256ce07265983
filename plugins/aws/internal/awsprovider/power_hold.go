package awsprovider

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// stopForExport carries out shutdown_vm: it records a power hold, stops the instance and waits
// until it is stopped, so the snapshots hold what the guest flushed. It returns the hold, or
// nil when the instance was not running. The caller starts the instance again as soon as the
// snapshots are taken (their point in time is fixed by then).
func (x *exportRun) stopForExport(ctx context.Context, inst types.Instance) (*provider.Hold, error) {
	if inst.State == nil || (inst.State.Name != types.InstanceStateNameRunning && inst.State.Name != types.InstanceStateNamePending) {
		return nil, nil
	}
	data, err := holdData{Region: x.rc.region, Endpoint: x.st.settings.EC2Endpoint, Instance: x.vm.ID}.encode()
	if err != nil {
		return nil, err
	}
	h := provider.Hold{Kind: provider.HoldPower, ID: "power-" + x.vm.ID, Description: "instance " + x.vm.ID + " stopped for the export (shutdown_vm)", Data: data}
	if err := x.r.Hold(ctx, h); err != nil {
		return nil, fmt.Errorf("record the power hold: %w", err)
	}
	x.r.Progress(provider.Progress{Phase: provider.PhasePreparing, Message: "stopping instance " + x.vm.ID + " (shutdown_vm)"})
	if _, err := x.rc.ec2.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{x.vm.ID}}); err != nil {
		return &h, awsError("stop instance "+x.vm.ID, err)
	}
	w := ec2.NewInstanceStoppedWaiter(x.rc.ec2, func(o *ec2.InstanceStoppedWaiterOptions) {
		o.MinDelay = x.st.timing.poll
		o.MaxDelay = max(x.st.timing.poll, 4*x.st.timing.poll)
	})
	if err := w.Wait(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{x.vm.ID}}, x.st.timing.shutdown); err != nil {
		if ctx.Err() != nil {
			return &h, ctx.Err()
		}
		return &h, fmt.Errorf("%w: instance %s did not stop within shutdown_timeout %s: %v", provider.ErrUnavailable, x.vm.ID, x.st.timing.shutdown, err)
	}
	x.log.Info("instance stopped for the export", "instance", x.vm.ID)
	return &h, nil
}
