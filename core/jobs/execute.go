package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/logging"
	"github.com/hypersdk/hypersdk/core/metrics"
	"github.com/hypersdk/hypersdk/core/pipeline"
	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

var errStale = errors.New("job is no longer pending")

// execute runs one job to a terminal state (or back to pending on shutdown), retrying failed
// attempts with backoff.
func (m *Manager) execute(parent context.Context, id string) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	r := &run{cancel: cancel, tracker: newTracker()}
	m.mu.Lock()
	m.live[id] = r
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		delete(m.live, id)
		m.mu.Unlock()
	}()
	log := m.log.With("job_id", id)

	for {
		j, err := m.update(id, func(j *Job) error {
			if j.Status != StatusPending && j.Status != StatusRunning {
				return errStale
			}
			now := time.Now().UTC()
			j.Status, j.Error, j.Node = StatusRunning, "", m.NodeID()
			j.Attempts++
			if j.StartedAt == nil {
				j.StartedAt = &now
			}
			// The first step not done starts in this same commit.
			if steps, err := m.planOf(j); err == nil {
				j.Steps = steps
				if i := nextStep(j.Steps, 0); i >= 0 {
					j.Stage = "" // each attempt announces its stage
					startStep(j, i)
				}
			}
			return nil
		})
		if err != nil {
			switch {
			case errors.Is(err, errStale), refusedForGood(err):
				// ended, deleted, or another node's now: nothing to start
			default:
				// The job is still pending in the store (or, when a cluster's write was lost
				// on the way back, running with no claim: the sweep adopts it): it is queued
				// again rather than left for the next start-up.
				log.Error("cannot start job; queued again", "error", err, "retry_in", m.cfg.RetryBackoff)
				m.enqueueAfter(parent, id, m.cfg.RetryBackoff)
			}
			return
		}
		log.Info("job started", logging.Present("attempt", j.Attempts, "kind", j.Kind, "provider", j.Spec.Provider, "vm", j.Spec.VMIdentifier, "method", j.Spec.ExportMethod, "export_dir", j.ExportDir)...)
		m.publish(j, events.JobStarted, fmt.Sprintf("attempt %d", j.Attempts))

		err = m.attempt(ctx, &j, r, log)
		if err == nil {
			log.Info("job completed")
			m.finish(id, StatusCompleted, "", func(rec *Job) {
				// The last step's end is recorded with the job's.
				rec.Result, rec.Steps, rec.Exported, rec.Verified, rec.Claimed = j.Result, j.Steps, j.Exported, j.Verified, j.Claimed
				rec.Stage = ""
				keepLatest(&rec.Progress, r.tracker)
				rec.Progress.Percentage = 100
				rec.Progress.Phase = string(StatusCompleted)
			})
			if j.Result != nil && j.Result.HandoffStatus == pipeline.HandoffWaiting {
				m.startFollower(m.runCtx, j)
			}
			return
		}
		if m.stoppedBy(ctx, &j, r, log) {
			return
		}
		failure := Failure{Attempt: j.Attempts, Stage: j.Stage, Error: err.Error(), At: time.Now().UTC()}
		if retryable(err) && j.Attempts <= m.cfg.MaxRetries && ctx.Err() == nil {
			wait := m.cfg.RetryBackoff << (j.Attempts - 1)
			if _, uerr := m.update(id, func(rec *Job) error { rec.Failures = append(rec.Failures, failure); return nil }); uerr != nil {
				log.Error("cannot record the failed attempt", "attempt", j.Attempts, "error", uerr)
			}
			log.Warn("attempt failed; retrying", "attempt", j.Attempts, "stage", j.Stage, "error", err, "retry_in", wait)
			select {
			case <-time.After(wait):
				continue
			case <-ctx.Done():
				m.stoppedBy(ctx, &j, r, log)
				return
			}
		}
		log.Error("job failed", "stage", j.Stage, "error", err)
		m.finish(id, StatusFailed, err.Error(), func(rec *Job) {
			rec.Failures = append(rec.Failures, failure)
			keepLatest(&rec.Progress, r.tracker) // how far it got, not the last persisted sample
		})
		return
	}
}

// stoppedBy ends the job when its context was cancelled on purpose: by a cancel request
// (cancelled, partial files removed) or by the daemon shutting down (back to pending, to resume
// at the next start). It reports whether it did.
func (m *Manager) stoppedBy(ctx context.Context, j *Job, r *run, log hclog.Logger) bool {
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errCancelled):
		if j.Kind == KindExport {
			if err := removePartials(j.ExportDir); err != nil {
				log.Error("cannot remove the partial files of the cancelled export", "error", err)
			}
		}
		log.Info("job cancelled")
		m.finish(j.ID, StatusCancelled, "cancelled by request", func(rec *Job) { keepLatest(&rec.Progress, r.tracker) })
		return true
	case errors.Is(cause, errFenced):
		// Not a write more: the node that holds the job now owns its record and its files.
		log.Warn("job stopped on this node: its claim ended, another node resumes it")
		return true
	case errors.Is(cause, errShutdown):
		log.Info("job interrupted by shutdown; it resumes at the next start")
		// The attempt was cut short, not failed: it does not count against export.max_retries.
		_, err := m.update(j.ID, func(rec *Job) error {
			rec.Status, rec.Stage = StatusPending, ""
			rec.Attempts = max(rec.Attempts-1, 0)
			return nil
		})
		if err != nil {
			// Start finds it "running" and recovers it as interrupted.
			log.Error("cannot record the interrupted job as pending", "error", err)
		}
		return true
	}
	return false
}

// finish commits a terminal state and announces it.
func (m *Manager) finish(id string, s Status, msg string, change func(*Job)) {
	if m.cfg.SyncLogs != nil {
		m.cfg.SyncLogs()
	}
	typ := map[Status]string{StatusCompleted: events.JobCompleted, StatusFailed: events.JobFailed, StatusCancelled: events.JobCancelled}[s]
	m.markEnding(id, typ, msg) // end_events.go: no end stored without its event
	j, err := m.storeEnd(id, s, msg, change)
	if err != nil {
		m.log.Error("cannot record job end", "job_id", id, "status", s, "error", err)
		if refusedForGood(err) {
			m.endPublished(id) // not stored, for certain
		}
		// Otherwise the note stays: should the end have been stored after all (its reply
		// lost on the way back), a resend publishes it; if it was not, a resend drops the
		// note, and the job, still running in the store, is recovered as interrupted.
		return
	}
	if hasUnreleased(j.Holds) {
		m.releaseHolds(id, false) // the job is over: nothing of it may stay on the platform (holds_release.go)
	}
	if j.StartedAt != nil {
		metrics.JobDuration.WithLabelValues(j.Kind, string(s)).Observe(j.FinishedAt.Sub(*j.StartedAt).Seconds())
	}
	m.publishEnd(j, typ, msg)
}

// finishTries bounds the writes of one job's end, the retry backoff (2 s) doubled between them:
// about a minute.
const finishTries = 6

// errEndStored: a try to store a job's end found it stored by an earlier try whose reply was
// lost.
var errEndStored = errors.New("the job's end is stored already")

// refusedForGood says whether a write of a job failed because the job is gone or another
// node holds it now: it was not stored, and trying again cannot change that. Any other failure
// (a full disk, an etcd out of reach) may pass, and its write may even have landed.
func refusedForGood(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, store.ErrFenced)
}

// storeEnd writes job id's end, trying again while the store refuses it (a full disk, an etcd
// out of reach): a job left running in the store would otherwise wait for the next start-up.
// It gives up when the daemon stops.
func (m *Manager) storeEnd(id string, s Status, msg string, change func(*Job)) (Job, error) {
	wait := m.cfg.RetryBackoff
	for try := 1; ; try++ {
		j, err := m.update(id, func(j *Job) error {
			if try > 1 && j.Status == s {
				return errEndStored // not again: change would add its failure twice
			}
			now := time.Now().UTC()
			j.Status, j.FinishedAt, j.Error = s, &now, msg
			if change != nil {
				change(j)
			}
			return nil
		})
		switch {
		case errors.Is(err, errEndStored):
			return m.getJob(id)
		case err == nil, try == finishTries, refusedForGood(err):
			return j, err
		}
		m.log.Warn("cannot record job end; trying again", "job_id", id, "status", s, "error", err, "retry_in", wait)
		select {
		case <-m.runCtx.Done():
			return j, err
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// retryable says whether another attempt could succeed: not when the provider said the VM does
// not exist, the request is invalid, the credentials are wrong, the operation is unsupported or
// the job's output clashes with something that already exists (a domain, a disk), or a stage ran
// past its time bound (a second try would too).
func retryable(err error) bool {
	for _, s := range []error{provider.ErrNotFound, provider.ErrInvalidArgument, provider.ErrAuth, provider.ErrUnsupported, ErrConflict, pipeline.ErrExportTimeout, errTimeout} {
		if errors.Is(err, s) {
			return false
		}
	}
	return true
}

// attempt runs the job's plan from its first step not done. A step's state is committed as it
// starts and ends — one commit at each boundary, the end of one step with the start of the
// next — so a retry or a restarted daemon never runs a finished step again. What the steps do
// is theirs (core/pipeline); the job only runs them in order and records them.
func (m *Manager) attempt(ctx context.Context, j *Job, r *run, log hclog.Logger) error {
	steps, err := m.planOf(j)
	if err != nil {
		return err
	}
	j.Steps = steps
	st := m.stateFor(j, r, log)
	// hyper2kvm.job_timeout bounds what follows the export, all of it together: its clock
	// starts with the first step after the export.
	post := &lateBound{parent: ctx, d: m.cfg.JobTimeout}
	defer post.stop()
	i := nextStep(j.Steps, 0)
	if i < 0 {
		return nil
	}
	log.Info("plan", "steps", pipeline.Describe(stepNames(j.Steps)), "from", j.Steps[i].Name)
	// The step started, and the job took its stage, in the commit that began the attempt.
	m.announceStep(j, i, j.Stage != "", log)
	for i >= 0 {
		def, ok := pipeline.Steps[j.Steps[i].Name]
		if !ok {
			err := fmt.Errorf("%w: the job's plan names a step this daemon does not know: %q", provider.ErrUnsupported, j.Steps[i].Name)
			j.Steps[i].State, j.Steps[i].Error = StepFailed, err.Error()
			if serr := m.saveSteps(j); serr != nil {
				log.Error("cannot record the failed step", "step", j.Steps[i].Name, "error", serr)
			}
			return err
		}
		stepCtx := ctx
		if def.AfterExport {
			stepCtx = post.context()
		}
		if i, err = m.runStep(stepCtx, j, st, i, def, log); err != nil {
			return err
		}
	}
	return nil
}

// lateBound is a context whose deadline (hyper2kvm.job_timeout) starts when it is first asked
// for: with the first step after the export.
type lateBound struct {
	parent context.Context
	d      time.Duration
	ctx    context.Context
	cancel context.CancelFunc
}

func (b *lateBound) context() context.Context {
	if b.ctx == nil {
		b.ctx = b.parent
		if b.d > 0 {
			b.ctx, b.cancel = context.WithTimeoutCause(b.parent, b.d, errTimeout)
		}
	}
	return b.ctx
}

func (b *lateBound) stop() {
	if b.cancel != nil {
		b.cancel()
	}
}

// nextStep is the index of the first step from i on that is not done, or -1.
func nextStep(steps []Step, i int) int {
	for ; i < len(steps); i++ {
		if steps[i].State != StepDone {
			return i
		}
	}
	return -1
}

// stateFor is the bag the job's steps share, filled from its record.
func (m *Manager) stateFor(j *Job, r *run, log hclog.Logger) *pipeline.State {
	plan := stepNames(j.Steps)
	st := &pipeline.State{
		JobID: j.ID, Kind: j.Kind, Spec: j.Spec, ConvertSpec: j.ConvertSpec, ExportDir: j.ExportDir, ResumeToken: j.ResumeToken,
		Plan: plan, Result: j.Result, Exported: j.Exported, Verified: j.Verified, Claimed: j.Claimed,
		Env: m.env, Log: log, Reporter: &reporter{m: m, id: j.ID, tracker: r.tracker},
		Track: func(p provider.Progress) { r.tracker.update(p, nowFunc()) },
	}
	st.Save = func() error { absorb(j, st); return m.saveSteps(j) }
	return st
}

func stepNames(steps []Step) []string {
	names := make([]string, len(steps))
	for i, s := range steps {
		names[i] = s.Name
	}
	return names
}

// absorb takes what the steps produced into the job's record.
func absorb(j *Job, st *pipeline.State) {
	j.Result, j.Exported, j.Verified, j.Claimed = st.Result, st.Exported, st.Verified, st.Claimed
}

// startStep marks step i running (and the job in its stage) in j, not yet in the store.
func startStep(j *Job, i int) (stageChanged bool) {
	now := time.Now().UTC()
	j.Steps[i] = Step{Name: j.Steps[i].Name, State: StepRunning, StartedAt: &now}
	if stage := pipeline.Steps[j.Steps[i].Name].Stage; stage != "" && stage != j.Stage {
		j.Stage = stage
		return true
	}
	return false
}

// announceStep logs a step's start and publishes a new stage.
func (m *Manager) announceStep(j *Job, i int, stageChanged bool, log hclog.Logger) {
	if stageChanged {
		m.publish(*j, events.JobProgress, "stage "+j.Stage)
		log.Info("stage started", "stage", j.Stage)
	}
	log.Info("step started", "step", j.Steps[i].Name)
}

// runStep runs step i of the job's plan, which has begun, and records how it went together
// with the start of the next step; it returns that step's index (-1 after the last). When it
// fails, its cleanup runs, and so does that of the earlier step it spoils (Redo), which is
// pending again.
func (m *Manager) runStep(ctx context.Context, j *Job, st *pipeline.State, i int, def pipeline.Def, log hclog.Logger) (int, error) {
	name := j.Steps[i].Name
	n, err := def.Run(ctx, st)
	absorb(j, st)
	done := time.Now().UTC()
	j.Steps[i].FinishedAt, j.Steps[i].Bytes = &done, n
	if err == nil {
		j.Steps[i].State = StepDone
		log.Info("step finished", "step", name, "bytes", n, "took", done.Sub(*j.Steps[i].StartedAt).Round(time.Millisecond).String())
		next := nextStep(j.Steps, i+1)
		if next < 0 {
			return -1, nil // the job's end records the last step's
		}
		changed := startStep(j, next)
		if err := m.saveSteps(j); err != nil {
			return -1, err
		}
		m.announceStep(j, next, changed, log)
		return next, nil
	}
	if def.AfterExport && errors.Is(context.Cause(ctx), errTimeout) {
		err = fmt.Errorf("%w (after %s): %w", errTimeout, m.cfg.JobTimeout, err)
	}
	if !strings.HasPrefix(err.Error(), name) {
		err = fmt.Errorf("%s: %w", name, err)
	}
	if errors.Is(context.Cause(ctx), errFenced) {
		// No cleanup, no write: the node that holds the job now owns its record and its files.
		return -1, err
	}
	j.Steps[i].State, j.Steps[i].Error = StepFailed, err.Error()
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errShutdown):
		// Cut short, not failed: the next start runs it again.
		j.Steps[i] = Step{Name: name, State: StepPending}
	case errors.Is(cause, errCancelled):
		j.Steps[i].Error = errCancelled.Error()
	}
	def.Cleanup(st)
	for k := i - 1; k >= 0; k-- {
		if redo := j.Steps[k].Name; slices.Contains(def.Redo, redo) {
			pipeline.Steps[redo].Cleanup(st)
			j.Steps[k] = Step{Name: redo, State: StepPending}
		}
	}
	absorb(j, st)
	if serr := m.saveSteps(j); serr != nil {
		log.Error("cannot record the failed step", "step", name, "error", serr)
	}
	return -1, err
}

// saveSteps commits the job's stage and steps with what they produced so far.
func (m *Manager) saveSteps(j *Job) error {
	_, err := m.update(j.ID, func(rec *Job) error {
		rec.Stage, rec.Steps = j.Stage, append([]Step(nil), j.Steps...)
		rec.Result, rec.Exported, rec.Verified, rec.Claimed = j.Result, j.Exported, j.Verified, j.Claimed
		return nil
	})
	if err != nil {
		return fmt.Errorf("record the job's steps: %w", err)
	}
	return nil
}

// removePartials deletes the .part files a cancelled transfer left in its export directory:
// they are this job's, as no two live jobs share an export directory (claimExportDirs).
func removePartials(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".part") {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				return err
			}
		}
	}
	return nil
}

// progressPersistEvery and progressEventEvery bound how often progress reaches the store and the
// event bus; the API reads live progress from memory in between.
const (
	progressPersistEvery = 2 * time.Second
	progressEventEvery   = 500 * time.Millisecond
)

// reporter receives a running export's events from the provider.
type reporter struct {
	m         *Manager
	id        string
	tracker   *tracker
	mu        sync.Mutex
	persisted time.Time
	published time.Time
}

func (r *reporter) Progress(p provider.Progress) {
	now := time.Now()
	snap := r.tracker.update(p, now)
	r.mu.Lock()
	persist, publish := now.Sub(r.persisted) >= progressPersistEvery, now.Sub(r.published) >= progressEventEvery
	if persist {
		r.persisted = now
	}
	if publish {
		r.published = now
	}
	r.mu.Unlock()
	if persist {
		// Progress is also served from memory; a sample that cannot be stored is only logged.
		if _, err := r.m.update(r.id, func(j *Job) error { j.Progress = snap; return nil }); err != nil {
			r.m.log.Warn("cannot store the job's progress", "job_id", r.id, "error", err)
		}
	}
	if publish {
		r.m.bus.Publish(events.Event{Type: events.JobProgress, JobID: r.id, Status: string(StatusRunning), Stage: StageExporting, Progress: snap.Percentage, Message: snap.Message, Data: snap})
	}
}
