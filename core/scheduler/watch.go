package scheduler

import (
	"context"
	"errors"
	"os"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/pipeline"
)

// watchJobs follows the ends of policy jobs: it records their status and, after a success,
// applies the policy's retention to that VM's backups. It first catches up with jobs that ended
// while no watcher ran (the daemon stopped between a job's end and its handling), then handles
// every job end from a lossless queue: however long retention takes, none is missed.
func (s *Scheduler) watchJobs(ctx context.Context, ends *events.Queue) {
	s.catchUp()
	for {
		ev, err := ends.Next(ctx)
		if err != nil {
			return
		}
		s.jobEnded(ev.JobID)
	}
}

// catchUp handles every recorded backup whose job has ended since its status was last seen.
func (s *Scheduler) catchUp() {
	policies, err := s.ListPolicies()
	if err != nil {
		s.log.Error("cannot read backup policies to catch up with ended jobs", "error", err)
	}
	for _, p := range policies {
		for _, b := range p.Backups {
			if jobs.Status(b.Status).Terminal() {
				continue
			}
			if j, err := s.jobs.Get(b.JobID); err == nil && j.Status.Terminal() {
				s.jobEnded(b.JobID)
			}
		}
	}
}

func (s *Scheduler) jobEnded(jobID string) {
	j, err := s.jobs.Get(jobID)
	if err != nil {
		if !errors.Is(err, jobs.ErrNotFound) {
			s.log.Error("cannot read an ended job", "job_id", jobID, "error", err)
		}
		return
	}
	policyID, ok := isPolicyJob(j.ScheduleID)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var pruned []Backup
	var policy Policy
	err = s.updatePolicy(policyID, func(p *Policy) error {
		found := false
		for i := range p.Backups {
			if p.Backups[i].JobID == jobID {
				p.Backups[i].Status, found = string(j.Status), true
			}
		}
		if !found { // the daemon stopped between submitting and recording: record it now
			vm := j.Spec.VMIdentifier
			if j.Result != nil && j.Result.VM.Name != "" {
				vm = j.Result.VM.Name
			}
			p.Backups = append(p.Backups, Backup{JobID: jobID, VM: vm, Dir: j.ExportDir, CreatedAt: j.CreatedAt, Status: string(j.Status)})
		}
		if j.Status != jobs.StatusCompleted {
			return nil
		}
		var vm string
		var same []Backup
		for _, b := range p.Backups {
			if b.JobID == jobID {
				vm = b.VM
			}
		}
		for _, b := range p.Backups {
			if b.VM == vm {
				same = append(same, b)
			}
		}
		pruned = toPrune(same, p.Retention, s.clock.Now())
		drop := map[string]bool{}
		for _, b := range pruned {
			drop[b.JobID] = true
		}
		kept := p.Backups[:0]
		for _, b := range p.Backups {
			if !drop[b.JobID] {
				kept = append(kept, b)
			}
		}
		p.Backups = kept
		policy = *p
		return nil
	})
	if err != nil {
		if !errors.Is(err, ErrNotFound) { // a deleted policy has nothing left to record
			s.log.Error("cannot record a backup's end", "policy_id", policyID, "job_id", jobID, "error", err)
		}
		return
	}
	root := s.policyDir(policy)
	for _, b := range pruned {
		dir, err := pipeline.ConfinePath(root, b.Dir)
		if err != nil {
			s.log.Error("retention refused a folder outside the policy's own", "policy", policy.Name, "dir", b.Dir)
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			s.log.Error("retention could not delete a backup", "policy", policy.Name, "dir", dir, "error", err)
			continue
		}
		s.log.Info("backup pruned", "policy", policy.Name, "vm", b.VM, "job_id", b.JobID, "dir", dir, "status", b.Status)
		s.bus.Publish(events.Event{Type: events.BackupPruned, JobID: b.JobID, Message: dir, Data: map[string]string{"policy_id": policy.ID, "vm": b.VM}})
	}
}
