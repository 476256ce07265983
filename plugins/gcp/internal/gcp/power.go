package gcp

import (
	"context"
	"fmt"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// stop stops the running instance for shutdown_vm, holding it first. instances.stop is a
// clean ACPI shutdown that Compute Engine turns into a power-off after its own grace period.
func (ex *export) stop(ctx context.Context) (provider.Hold, error) {
	h := powerHold(ex.s.Project, ex.zone, ex.inst.GetName())
	if err := ex.r.Hold(ctx, h); err != nil {
		return h, fmt.Errorf("record the power hold on %s: %w", ex.spec.VMID, err)
	}
	what := "stop instance " + ex.spec.VMID
	op, err := ex.c.instances.Stop(ctx, &computepb.StopInstanceRequest{Project: ex.s.Project, Zone: ex.zone, Instance: ex.inst.GetName()})
	if err != nil {
		return h, apiError(err, "%s", what)
	}
	return h, waitOp(ctx, op, ex.t.poll, what, ex.cloudProgress(provider.PhaseSnapshotting, 0, op.Name(), what))
}

// start starts the instance again once its disks are snapshotted, and says the hold is
// released. If it cannot, the hold stays with the host, which starts it when the job ends.
func (ex *export) start(ctx context.Context, h provider.Hold) {
	if ctx.Err() != nil {
		return // cancelled: the host releases the hold
	}
	ex.releaseNow(ctx, h)
}

// releasePower starts an instance stopped for an export, unless it is running, on its way
// up, or gone. One still stopping is ErrUnavailable: the host tries again.
func (p *Provider) releasePower(ctx context.Context, c *clients, poll time.Duration, d holdData) error {
	inst, err := c.instances.Get(ctx, &computepb.GetInstanceRequest{Project: d.Project, Zone: d.Zone, Instance: d.VM})
	if isNotFound(err) {
		provider.Logger(ctx).Warn("instance held stopped no longer exists; nothing to start", "instance", d.Zone+"/"+d.VM)
		return nil
	}
	if err != nil {
		return apiError(err, "release power hold: read instance %s/%s", d.Zone, d.VM)
	}
	switch inst.GetStatus() {
	case "STOPPING", "SUSPENDING":
		return fmt.Errorf("%w: release power hold: instance %s/%s is still %s; it is started once stopped", provider.ErrUnavailable, d.Zone, d.VM, inst.GetStatus())
	case "TERMINATED", "STOPPED":
	default:
		return nil
	}
	what := "start instance " + d.Zone + "/" + d.VM
	op, err := c.instances.Start(ctx, &computepb.StartInstanceRequest{Project: d.Project, Zone: d.Zone, Instance: d.VM})
	if err != nil {
		return apiError(err, "release power hold: %s", what)
	}
	if err := waitOp(ctx, op, poll, what, nil); err != nil {
		return fmt.Errorf("release power hold: %w", err)
	}
	provider.Logger(ctx).Info("instance started again: power hold released", "instance", d.Zone+"/"+d.VM)
	return nil
}
