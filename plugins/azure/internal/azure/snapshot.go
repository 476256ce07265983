package azure

import (
	"context"
	"fmt"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// snapshot makes disk i's incremental snapshot, recorded as a hold before it is asked for, or
// adopts the one an earlier attempt made (its hold still stands until the job ends).
func (e *exportRun) snapshot(ctx context.Context, i int, d diskDetail) error {
	key := e.vm.Disks[i].Key
	if st := e.state(key); st != nil && st.Snapshot != "" {
		ok, err := e.adopt(ctx, i, d, st)
		if err != nil || ok {
			return err
		}
	}
	name := snapshotName(e.spec.JobID, key)
	h := snapshotHold(e.s.SubscriptionID, d.rg, name, d.name)
	if err := e.r.Hold(ctx, h); err != nil {
		return fmt.Errorf("record the snapshot hold before snapshotting: %w", err)
	}
	st := &diskState{ResourceGroup: d.rg, Snapshot: name}
	e.setState(key, st)
	snap := armcompute.Snapshot{Location: to.Ptr(e.detail.location), Properties: &armcompute.SnapshotProperties{
		CreationData: &armcompute.CreationData{CreateOption: to.Ptr(armcompute.DiskCreateOptionCopy), SourceResourceID: to.Ptr(d.id)},
		Incremental:  to.Ptr(true),
	}, Tags: map[string]*string{"created-by": to.Ptr("hypersdk"), "hypersdk-job": to.Ptr(e.spec.JobID)}}
	e.r.Progress(e.cloudProgress(i, provider.PhaseSnapshotting, name, "snapshot disk "+d.name, 0))
	poller, err := e.c.snapshots.BeginCreateOrUpdate(ctx, d.rg, name, snap, nil)
	if err != nil {
		return armError("create snapshot "+name, err)
	}
	if tok, err := poller.ResumeToken(); err == nil {
		e.mu.Lock()
		st.Poller = tok
		e.mu.Unlock()
		if err := e.checkpoint(ctx); err != nil {
			return err
		}
	}
	return e.awaitSnapshot(ctx, i, d, st, poller)
}

type snapshotPoller = runtime.Poller[armcompute.SnapshotsClientCreateOrUpdateResponse]

// awaitSnapshot waits for the snapshot operation, reporting Azure's progress of it.
func (e *exportRun) awaitSnapshot(ctx context.Context, i int, d diskDetail, st *diskState, poller *snapshotPoller) error {
	_, err := await(ctx, poller, e.t.pollInterval, func(pct float64) {
		e.r.Progress(e.cloudProgress(i, provider.PhaseSnapshotting, st.Snapshot, "snapshot disk "+d.name, pct))
	})
	if err != nil {
		return armError("create snapshot "+st.Snapshot, err)
	}
	e.r.Progress(e.cloudProgress(i, provider.PhaseSnapshotting, st.Snapshot, "snapshot disk "+d.name, 100))
	e.mu.Lock()
	st.Poller, st.Created = "", true
	e.mu.Unlock()
	return e.checkpoint(ctx)
}

// adopt reuses an earlier attempt's snapshot: done already, or still being made (its poller
// resumed from the token). A snapshot that is gone (the host released it) is no snapshot.
func (e *exportRun) adopt(ctx context.Context, i int, d diskDetail, st *diskState) (bool, error) {
	log := provider.Logger(ctx).With("snapshot", st.Snapshot)
	resp, err := e.c.snapshots.Get(ctx, st.ResourceGroup, st.Snapshot, nil)
	if notFound(err) {
		log.Info("the earlier attempt's snapshot is gone: snapshotting again")
		e.setState(e.vm.Disks[i].Key, nil)
		return false, nil
	}
	if err != nil {
		return false, armError("read snapshot "+st.Snapshot, err)
	}
	state := ""
	if resp.Properties != nil {
		state = deref(resp.Properties.ProvisioningState)
	}
	switch {
	case state == "Succeeded":
		log.Info("reusing the earlier attempt's snapshot")
		e.mu.Lock()
		st.Poller, st.Created = "", true
		e.mu.Unlock()
		return true, nil
	case st.Poller != "":
		poller, err := e.c.snapshots.BeginCreateOrUpdate(ctx, st.ResourceGroup, st.Snapshot, armcompute.Snapshot{},
			&armcompute.SnapshotsClientBeginCreateOrUpdateOptions{ResumeToken: st.Poller})
		if err != nil {
			return false, armError("resume the snapshot operation of "+st.Snapshot, err)
		}
		log.Info("resuming the earlier attempt's snapshot operation")
		return true, e.awaitSnapshot(ctx, i, d, st, poller)
	}
	return false, fmt.Errorf("snapshot %s of an earlier attempt is %q and its operation is unknown; the host deletes it when the job ends", st.Snapshot, state)
}

// cloudProgress is a progress event of an operation Azure runs.
func (e *exportRun) cloudProgress(i int, phase, id, op string, pct float64) provider.Progress {
	pr := provider.Progress{Phase: phase, Disk: i, DiskName: e.vm.Disks[i].Label, OperationID: id, Operation: op, Message: op}
	if pct >= 0 {
		pr.Percent = pct
	}
	return pr
}
