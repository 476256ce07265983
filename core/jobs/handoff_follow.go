package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/handoff"
	"github.com/hypersdk/hypersdk/core/pipeline"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// A job that hands its export to hyper2kvm completes when the manifest is in to_be_processed/ —
// the export is done, and the workflow document's script waits for exactly that — and the
// daemon then follows the manifest through hyper2kvm's workflow directory every
// hyper2kvm.poll_interval, recording in the job's result where it is (hyper2kvm_manifest) and
// what that means (hyper2kvm_status): waiting in to_be_processed/, converting in processing/,
// completed with the converted images of its report, or failed with the error hyper2kvm gave.
// hyper2kvm.job_timeout after the hand-off the job says timed_out; a manifest hyper2kvm never
// took is withdrawn then, so it is not converted later behind the job's back. Followers resume
// after a restart from what the job's record says.

// followHandoffs starts a follower for every job whose manifest is still with hyper2kvm.
func (m *Manager) followHandoffs(ctx context.Context) {
	list, _, err := m.List(ListOptions{Status: StatusCompleted})
	if err != nil {
		m.log.Error("cannot find the hand-offs to follow; their results are not followed until the next start", "error", err)
		return
	}
	for _, j := range list {
		if j.Result != nil && followed(j.Result.HandoffStatus) {
			m.startFollower(ctx, j)
		}
	}
}

// followed says whether a hand-off in status is still with hyper2kvm.
func followed(status string) bool {
	return status == pipeline.HandoffWaiting || status == pipeline.HandoffConverting
}

func (m *Manager) startFollower(ctx context.Context, j Job) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.follow(ctx, j)
	}()
}

func (m *Manager) follow(ctx context.Context, j Job) {
	log := m.log.With("job_id", j.ID)
	r := j.Result
	since := j.CreatedAt // records written before the hand-off time was kept
	if r.HandoffAt != nil {
		since = *r.HandoffAt
	}
	deadline := since.Add(m.cfg.JobTimeout)
	dir := r.HandoffDir
	if dir == "" {
		dir = filepath.Dir(r.Handoff)
	}
	poll := m.kvm.PollInterval
	if poll <= 0 {
		poll = 5 * time.Second
	}
	status, path, missing := r.HandoffStatus, r.Handoff, false
	for {
		o, err := handoff.Locate(dir, j.ID, m.kvm.OutputDir, since)
		var bad *handoff.AnswerError
		switch {
		case errors.As(err, &bad):
			m.recordHandoff(j.ID, pipeline.HandoffFailed, func(res *pipeline.Result) {
				res.HandoffError, res.HandoffReport = bad.Error(), bad.Path
			})
			log.Error("hyper2kvm answered with a file it does not write", "error", err)
			return
		case err != nil:
			log.Warn("cannot read hyper2kvm's workflow directory; trying again", "error", err)
		case o.State == handoff.StateCompleted:
			m.dropUnpackedOVA(j, log)
			m.recordHandoff(j.ID, pipeline.HandoffCompleted, func(res *pipeline.Result) {
				res.Handoff, res.HandoffReport, res.HandoffOutputs, res.HandoffError = o.Path, o.Report, o.Outputs, ""
			})
			log.Info("hyper2kvm converted the export", "outputs", o.Outputs, "report", o.Report)
			return
		case o.State == handoff.StateFailed:
			m.recordHandoff(j.ID, pipeline.HandoffFailed, func(res *pipeline.Result) {
				res.Handoff, res.HandoffReport, res.HandoffError = o.Path, o.Report, o.Error
			})
			log.Error("hyper2kvm failed the manifest", "error", o.Error, "manifest", o.Path, "error_file", o.Report)
			return
		case o.State == handoff.StateMissing:
			if !missing {
				log.Warn("the manifest is in none of hyper2kvm's folders; someone moved or removed it", "workflow_dir", dir)
			}
			missing = true
		default: // waiting or converting
			missing = false
			if now := statusOf(o.State); now != status || o.Path != path {
				status, path = now, o.Path
				m.recordHandoff(j.ID, status, func(res *pipeline.Result) { res.Handoff = o.Path })
				if status == pipeline.HandoffConverting {
					log.Info("hyper2kvm took the manifest and is converting the export", "manifest", o.Path)
				} else {
					log.Info("the manifest waits in hyper2kvm's to_be_processed/", "manifest", o.Path)
				}
			}
		}
		if m.cfg.JobTimeout > 0 && time.Now().After(deadline) && m.timeOut(ctx, j, dir, o, err, log) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(poll):
		}
	}
}

// timeOut records a hand-off past hyper2kvm.job_timeout, withdrawing a manifest hyper2kvm has not
// taken. It returns false when hyper2kvm took it in the meantime: the follower looks again.
func (m *Manager) timeOut(ctx context.Context, j Job, dir string, o handoff.Outcome, lookErr error, log hclog.Logger) bool {
	instance := filepath.Base(dir)
	var msg string
	switch {
	case lookErr != nil:
		msg = fmt.Sprintf("no answer from hyper2kvm within hyper2kvm.job_timeout (%s): %v", m.cfg.JobTimeout, lookErr)
	case o.State == handoff.StateWaiting:
		withdrawn, ok, err := handoff.Withdraw(dir, j.ID)
		if err != nil {
			log.Error("cannot withdraw the manifest hyper2kvm did not take", "error", err)
			msg = fmt.Sprintf("hyper2kvm did not take the manifest within hyper2kvm.job_timeout (%s); %s is %s; withdrawing it failed: %v",
				m.cfg.JobTimeout, handoff.Unit(instance), handoff.ServiceState(ctx, m.kvm.Systemctl, instance), err)
			break
		}
		if !ok {
			return false
		}
		msg = fmt.Sprintf("hyper2kvm did not take the manifest within hyper2kvm.job_timeout (%s); %s is %s; the manifest was withdrawn to %s (rename it to .json to submit it again)",
			m.cfg.JobTimeout, handoff.Unit(instance), handoff.ServiceState(ctx, m.kvm.Systemctl, instance), withdrawn)
		o.Path = withdrawn
	case o.State == handoff.StateMissing:
		msg = fmt.Sprintf("the manifest left hyper2kvm's folders in %s, and no answer came within hyper2kvm.job_timeout (%s)", dir, m.cfg.JobTimeout)
	default:
		msg = fmt.Sprintf("hyper2kvm was still converting at hyper2kvm.job_timeout (%s); its answer will be in %s/processed or %s/failed, not in this job", m.cfg.JobTimeout, dir, dir)
	}
	m.recordHandoff(j.ID, pipeline.HandoffTimedOut, func(res *pipeline.Result) {
		res.HandoffError = msg
		if o.Path != "" {
			res.Handoff = o.Path
		}
	})
	log.Error("hand-off timed out", "error", msg)
	return true
}

// statusOf maps where a manifest is to the job's hyper2kvm_status.
func statusOf(state string) string {
	if state == handoff.StateConverting {
		return pipeline.HandoffConverting
	}
	return pipeline.HandoffWaiting
}

// dropUnpackedOVA removes the copy of an OVA's disks unpacked for hyper2kvm once it converted
// them: the OVA itself is the export. After a failure it stays, so the manifest can be
// submitted again.
func (m *Manager) dropUnpackedOVA(j Job, log hclog.Logger) {
	if j.Spec.ExportMethod != provider.MethodOVA || j.ExportDir == "" {
		return
	}
	dir := handoff.ExtractDir(j.ExportDir, j.ID)
	if err := os.RemoveAll(dir); err != nil {
		log.Warn("cannot remove the OVA's disks unpacked for hyper2kvm", "folder", dir, "error", err)
		return
	}
	log.Info("removed the OVA's disks unpacked for hyper2kvm; the OVA stays", "folder", dir)
}

func (m *Manager) recordHandoff(id, status string, change func(*pipeline.Result)) {
	j, err := m.update(id, func(j *Job) error {
		if j.Result != nil {
			j.Result.HandoffStatus = status
			change(j.Result)
		}
		return nil
	})
	if err != nil {
		m.log.Error("cannot record what hyper2kvm did", "job_id", id, "hyper2kvm_status", status, "error", err)
		return
	}
	m.publish(j, events.JobProgress, "hyper2kvm "+status)
}
