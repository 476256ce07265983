package jobs

import (
	"context"
	"time"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/handoff"
	"github.com/hypersdk/hypersdk/core/pipeline"
)

// A job that hands its export to hyper2kvm completes when the manifest is in the watch
// directory — the export is done and the workflow document's script waits for exactly that —
// and the daemon keeps following hyper2kvm's answer (<job id>.result.json) at
// hyper2kvm.poll_interval until hyper2kvm.job_timeout after the job was accepted, recording it in
// the job's result. Followers resume after a restart.

// followHandoffs starts a follower for every job still waiting on hyper2kvm.
func (m *Manager) followHandoffs(ctx context.Context) {
	list, _, err := m.List(ListOptions{Status: StatusCompleted})
	if err != nil {
		m.log.Error("cannot find the hand-offs to follow; their results are not followed until the next start", "error", err)
		return
	}
	for _, j := range list {
		if j.Result != nil && j.Result.HandoffStatus == pipeline.HandoffWaiting {
			m.startFollower(ctx, j)
		}
	}
}

func (m *Manager) startFollower(ctx context.Context, j Job) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.follow(ctx, j.ID, j.Result.Handoff, j.CreatedAt.Add(m.cfg.JobTimeout))
	}()
}

func (m *Manager) follow(ctx context.Context, id, manifest string, deadline time.Time) {
	log := m.log.With("job_id", id)
	poll := m.kvm.PollInterval
	if poll <= 0 {
		poll = 5 * time.Second
	}
	for {
		res, done, err := handoff.ReadResult(manifest)
		switch {
		case err != nil:
			m.recordHandoff(id, pipeline.HandoffFailed, err.Error(), nil)
			log.Error("hyper2kvm answered with an unreadable result", "error", err)
			return
		case done && res.Status == pipeline.HandoffCompleted:
			m.recordHandoff(id, pipeline.HandoffCompleted, "", res.Outputs)
			log.Info("hyper2kvm finished the conversion", "outputs", res.Outputs)
			return
		case done:
			m.recordHandoff(id, pipeline.HandoffFailed, res.Error, res.Outputs)
			log.Error("hyper2kvm failed the conversion", "error", res.Error)
			return
		case m.cfg.JobTimeout > 0 && time.Now().After(deadline):
			m.recordHandoff(id, pipeline.HandoffTimedOut, "no answer from hyper2kvm within hyper2kvm.job_timeout", nil)
			log.Error("hyper2kvm did not answer within hyper2kvm.job_timeout", "manifest", manifest)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(poll):
		}
	}
}

func (m *Manager) recordHandoff(id, status, msg string, outputs []string) {
	j, err := m.update(id, func(j *Job) error {
		if j.Result != nil {
			j.Result.HandoffStatus, j.Result.HandoffError, j.Result.HandoffOutputs = status, msg, outputs
		}
		return nil
	})
	if err != nil {
		m.log.Error("cannot record hyper2kvm's answer", "job_id", id, "hyper2kvm_status", status, "error", err)
		return
	}
	m.publish(j, events.JobProgress, "hyper2kvm "+status)
}
