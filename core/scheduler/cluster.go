package scheduler

import (
	"context"
	"fmt"
	"time"

	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/store"
)

// clusterWait bounds the loop's sleep in a cluster: a schedule created or changed through
// another node does not wake this one's loop, so the elected node reads the schedules again
// this often.
const clusterWait = 2 * time.Second

// LeadWith makes the scheduler fire schedules and policies only while this node is the one
// elected for it (database.backend etcd: every node runs a scheduler, one fires; when it dies
// another is elected within the lease TTL). Call it before Start.
func (s *Scheduler) LeadWith(e store.Elector) { s.elector = e }

// runLoop runs the firing loop: always on a single daemon, while elected in a cluster.
func (s *Scheduler) runLoop(ctx context.Context) {
	if s.elector == nil {
		s.loop(ctx)
		return
	}
	s.elector.Lead(ctx, "scheduler", func(ctx context.Context) {
		s.log.Info("this node fires the cluster's schedules and policies")
		s.loop(ctx)
	})
}

func (s *Scheduler) maxWait() time.Duration {
	if s.elector != nil {
		return clusterWait
	}
	return maxWait
}

// onceSubmitter accepts one job per key whichever node asks (jobs.Manager.SubmitOnce).
type onceSubmitter interface {
	SubmitOnce(spec jobs.Spec, scheduleID, key string) (jobs.Job, bool, error)
}

// submitSlot submits a schedule's run. In a cluster a due slot's run is keyed by the schedule
// and the slot: should the elected node die after submitting it and before recording the slot,
// the node elected next fires the slot again and gets the same job back, not a second run.
func (s *Scheduler) submitSlot(spec jobs.Spec, scheduleID string, slot *time.Time) ([]jobs.Job, error) {
	once, ok := s.jobs.(onceSubmitter)
	if s.elector == nil || slot == nil || !ok {
		return s.jobs.Submit([]jobs.Spec{spec}, scheduleID)
	}
	j, accepted, err := once.SubmitOnce(spec, scheduleID, scheduleID+"@"+slot.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return nil, err
	}
	if !accepted {
		s.log.Warn("schedule slot fired again after a node died; its run exists already", "schedule_id", scheduleID, "slot", slot, "job_id", j.ID)
	}
	return []jobs.Job{j}, nil
}

// submitPolicySlot submits a policy run's backups. In a cluster each VM's backup of a due slot
// is keyed by the policy, the slot and the VM: a slot fired again after the firing node died
// gets the backups submitted before back and adds only the missing ones.
func (s *Scheduler) submitPolicySlot(specs []jobs.Spec, scheduleID string, slot *time.Time) ([]jobs.Job, error) {
	once, ok := s.jobs.(onceSubmitter)
	if s.elector == nil || slot == nil || !ok {
		return s.jobs.Submit(specs, scheduleID)
	}
	out := make([]jobs.Job, len(specs))
	for i, spec := range specs {
		j, _, err := once.SubmitOnce(spec, scheduleID, scheduleID+"@"+slot.UTC().Format(time.RFC3339Nano)+"@"+spec.VMIdentifier)
		if err != nil {
			return nil, fmt.Errorf("submit the backup of %s: %w", spec.VMIdentifier, err)
		}
		out[i] = j
	}
	return out, nil
}
