package scheduler

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Jobs is what the scheduler needs of the job manager.
type Jobs interface {
	Submit(specs []jobs.Spec, scheduleID string) ([]jobs.Job, error)
	Validate(s *jobs.Spec, jobID string) error
	Get(id string) (jobs.Job, error)
}

// Providers resolves a policy's VM filter.
type Providers interface {
	Provider(name string) (provider.Provider, error)
}

// Errors the API maps to 404.
var ErrNotFound = errors.New("not found")

// policyPrefix marks jobs a backup policy submitted: their ScheduleID is "policy:<id>".
const policyPrefix = "policy:"

// maxWait bounds how long the loop sleeps, so a changed clock or a missed wake-up costs a minute.
const maxWait = time.Minute

// Scheduler runs schedules and policies.
type Scheduler struct {
	store           store.RecordStore
	jobs            Jobs
	providers       Providers
	bus             *events.Bus
	log             hclog.Logger
	clock           Clock
	basePath        string
	defaultProvider string

	elector store.Elector // in a cluster, fires only on the node elected (cluster.go)

	mu    sync.Mutex // serialises runs and retention
	names sync.Mutex // makes a name's check and the write of its schedule or policy one step (names.go)

	quietMu    sync.Mutex
	neverFires map[string]bool // schedules and policies that never fire, logged once (never_fires.go)

	wake chan struct{}
	stop context.CancelFunc
	wg   sync.WaitGroup
}

// New returns a scheduler; defaultProvider is used by policies that name none (the only
// configured provider, or "").
func New(s store.RecordStore, j Jobs, p Providers, bus *events.Bus, basePath, defaultProvider string, clock Clock, log hclog.Logger) *Scheduler {
	if clock == nil {
		clock = realClock{}
	}
	return &Scheduler{store: s, jobs: j, providers: p, bus: bus, log: log, clock: clock, basePath: basePath,
		defaultProvider: defaultProvider, wake: make(chan struct{}, 1), neverFires: map[string]bool{}}
}

// Start runs the loop and the retention watcher until Close.
func (s *Scheduler) Start(ctx context.Context) {
	ctx, s.stop = context.WithCancel(context.WithoutCancel(ctx))
	ends := s.bus.Follow(events.JobCompleted, events.JobFailed, events.JobCancelled)
	s.wg.Add(2)
	go func() { defer s.wg.Done(); s.runLoop(ctx) }()
	go func() { defer s.wg.Done(); defer ends.Close(); s.watchJobs(ctx, ends) }()
}

// Close stops the scheduler.
func (s *Scheduler) Close() {
	if s.stop != nil {
		s.stop()
		s.wg.Wait()
	}
}

func (s *Scheduler) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Scheduler) loop(ctx context.Context) {
	for {
		next := s.runDue(ctx)
		wait := s.maxWait()
		if !next.IsZero() {
			wait = min(max(next.Sub(s.clock.Now()), 0), s.maxWait())
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-s.clock.After(wait):
		}
	}
}

// runDue fires everything due now and returns when the next thing falls due.
func (s *Scheduler) runDue(ctx context.Context) time.Time {
	now := s.clock.Now()
	var next time.Time
	consider := func(t *time.Time) {
		if t != nil && (next.IsZero() || t.Before(next)) {
			next = *t
		}
	}
	schedules, _ := s.ListSchedules()
	for _, sc := range schedules {
		if sc.Paused || sc.NextRun == nil || s.neverDue("schedule", sc.ID, sc.Name, sc.Cron, sc.NextRun) {
			continue
		}
		if !sc.NextRun.After(now) {
			s.fireSchedule(sc.ID, now, sc.NextRun)
			sc, _ = s.GetSchedule(sc.ID)
		}
		consider(sc.NextRun)
	}
	policies, _ := s.ListPolicies()
	for _, p := range policies {
		if p.Paused || p.NextRun == nil || s.neverDue("policy", p.ID, p.Name, p.Schedule, p.NextRun) {
			continue
		}
		if !p.NextRun.After(now) {
			s.firePolicy(ctx, p.ID, now, p.NextRun)
			p, _ = s.GetPolicy(p.ID)
		}
		consider(p.NextRun)
	}
	return next
}

func stamp(t time.Time) string { return t.UTC().Format("20060102T150405.000Z") }

// fireSchedule submits one run of a schedule and moves its next run on.
// fireSchedule submits a schedule's run; slot is the due time it fires for (nil for a run on
// request), which in a cluster makes the run once per slot (submitSlot).
func (s *Scheduler) fireSchedule(id string, now time.Time, slot *time.Time) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sc, err := s.GetSchedule(id)
	if err != nil {
		return "", err
	}
	spec := sc.JobDefinition
	dir := spec.ExportPath
	if dir == "" {
		dir = filepath.Join("schedules", provider.SafeName(sc.Name))
	}
	spec.ExportPath = filepath.Join(dir, stamp(now))  // every run its own folder
	submitted, err := s.submitSlot(spec, sc.ID, slot) // cluster.go
	cron, perr := parseCron(sc.Cron, sc.TimeZone)
	update := func(rec *Schedule) {
		t := now
		rec.LastRun = &t
		if perr == nil {
			n := cron.Next(now)
			rec.NextRun = &n
		}
		rec.LastError, rec.LastJobID = "", ""
		if err != nil {
			rec.LastError = err.Error()
		} else {
			rec.LastJobID = submitted[0].ID
		}
	}
	if uerr := s.updateSchedule(id, func(rec *Schedule) error { update(rec); return nil }); uerr != nil {
		return "", uerr
	}
	if err != nil {
		s.log.Error("scheduled run not submitted", "schedule", sc.Name, "error", err)
		return "", err
	}
	s.log.Info("schedule triggered", "schedule", sc.Name, "job_id", submitted[0].ID)
	s.bus.Publish(events.Event{Type: events.ScheduleTriggered, JobID: submitted[0].ID, Message: sc.Name, Data: map[string]string{"schedule_id": sc.ID}})
	return submitted[0].ID, nil
}

// firePolicy resolves the policy's filter now and submits one backup job per matching VM.
// firePolicy runs a backup policy; slot is the due time it fires for (nil for a run on
// request), which in a cluster makes each VM's backup once per slot (submitPolicySlot).
func (s *Scheduler) firePolicy(ctx context.Context, id string, now time.Time, slot *time.Time) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.GetPolicy(id)
	if err != nil {
		return nil, err
	}
	s.bus.Publish(events.Event{Type: events.PolicyRunStarted, Message: p.Name, Data: map[string]string{"policy_id": p.ID}})
	ids, runErr := s.submitBackups(ctx, p, now, slot)
	cron, perr := parseCron(p.Schedule, p.TimeZone)
	err = s.updatePolicy(id, func(rec *Policy) error {
		t := now
		rec.LastRun, rec.LastJobIDs, rec.LastError = &t, ids, ""
		if runErr != nil {
			rec.LastError = runErr.Error()
		}
		if perr == nil {
			n := cron.Next(now)
			rec.NextRun = &n
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.log.Info("backup policy run", "policy", p.Name, "jobs", len(ids), "error", runErr)
	s.bus.Publish(events.Event{Type: events.PolicyRunCompleted, Message: p.Name, Data: map[string]any{"policy_id": p.ID, "job_ids": ids, "error": errString(runErr)}})
	return ids, runErr
}

func (s *Scheduler) submitBackups(ctx context.Context, p Policy, now time.Time, slot *time.Time) ([]string, error) {
	prov, err := s.providers.Provider(p.Provider)
	if err != nil {
		return nil, err
	}
	// Checked again at each run: a policy stored before the check, or a provider whose filters
	// changed since, must fail the run rather than back up every VM.
	if !p.VMFilter.empty() {
		if err := checkFilterFields(prov, p); err != nil {
			return nil, fmt.Errorf("resolve vm_filter through %s: %w", p.Provider, err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	vms, err := prov.ListVMs(ctx, p.VMFilter.filter())
	if err != nil {
		return nil, fmt.Errorf("resolve vm_filter through %s: %w", p.Provider, err)
	}
	if len(vms) == 0 {
		return nil, nil
	}
	specs := make([]jobs.Spec, len(vms))
	for i, vm := range vms {
		specs[i] = jobs.Spec{
			VMIdentifier: vm.ID, Provider: p.Provider, ExportMethod: p.ExportOptions.ExportMethod,
			ExportPath: filepath.Join(s.policyDir(p), provider.SafeName(vm.Name), stamp(now)),
			Options:    p.ExportOptions.Options, Hyper2KVM: p.ExportOptions.Hyper2KVM,
		}
	}
	submitted, err := s.submitPolicySlot(specs, policyPrefix+p.ID, slot) // cluster.go
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(submitted))
	err = s.updatePolicy(p.ID, func(rec *Policy) error {
		for i, j := range submitted {
			ids[i] = j.ID
			if slices.ContainsFunc(rec.Backups, func(b Backup) bool { return b.JobID == j.ID }) {
				continue // a slot fired again in a cluster: its backup is recorded already
			}
			rec.Backups = append(rec.Backups, Backup{JobID: j.ID, VM: vms[i].Name, Dir: j.ExportDir, CreatedAt: now, Status: string(j.Status)})
		}
		return nil
	})
	return ids, err
}

// policyDir is the folder a policy owns under export.base_path; retention never leaves it.
func (s *Scheduler) policyDir(p Policy) string {
	return filepath.Join(s.basePath, "policies", provider.SafeName(p.Name))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
