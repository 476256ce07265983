package scheduler

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

func fieldErr(field, format string, args ...any) error {
	return &jobs.FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// validateSchedule checks a schedule and sets its next run. Whether its name is free is checked
// by the caller, with s.names held until the schedule is stored.
func (s *Scheduler) validateSchedule(sc *Schedule) error {
	if err := checkName(sc.Name); err != nil {
		return err
	}
	c, err := parseCron(sc.Cron, sc.TimeZone)
	if err != nil {
		if strings.Contains(err.Error(), "time zone") {
			return fieldErr("timezone", "%v", err)
		}
		return fieldErr("cron", "%v", err)
	}
	next, err := firstRun(c, sc.Cron, s.clock.Now())
	if err != nil {
		return fieldErr("cron", "%v", err)
	}
	probe := sc.JobDefinition
	if err := s.jobs.Validate(&probe, "schedule-probe"); err != nil {
		if fe, ok := err.(*jobs.FieldError); ok {
			return fieldErr("job_definition."+fe.Field, "%s", fe.Message)
		}
		return err
	}
	sc.JobDefinition.ExportMethod = probe.ExportMethod
	sc.NextRun = &next
	return nil
}

// CreateSchedule validates and stores a schedule.
func (s *Scheduler) CreateSchedule(sc Schedule) (Schedule, error) {
	if err := s.validateSchedule(&sc); err != nil {
		return Schedule{}, err
	}
	s.names.Lock()
	defer s.names.Unlock()
	if err := s.scheduleNameFree(sc.Name, ""); err != nil {
		return Schedule{}, err
	}
	sc.ID, sc.CreatedAt = newID("sched-"), s.clock.Now().UTC()
	if err := s.put(store.Schedules, sc.ID, sc); err != nil {
		return Schedule{}, err
	}
	s.log.Info("schedule created", "schedule", sc.Name, "cron", sc.Cron, "next_run", sc.NextRun)
	s.poke()
	return sc, nil
}

// UpdateSchedule replaces a schedule's name, cron, time zone and job definition.
func (s *Scheduler) UpdateSchedule(id string, in Schedule) (Schedule, error) {
	if err := s.validateSchedule(&in); err != nil {
		return Schedule{}, err
	}
	s.names.Lock()
	defer s.names.Unlock()
	if err := s.scheduleNameFree(in.Name, id); err != nil {
		return Schedule{}, err
	}
	var out Schedule
	err := s.updateSchedule(id, func(rec *Schedule) error {
		rec.Name, rec.Cron, rec.TimeZone, rec.JobDefinition, rec.NextRun = in.Name, in.Cron, in.TimeZone, in.JobDefinition, in.NextRun
		out = *rec
		return nil
	})
	s.poke()
	return out, err
}

// PauseSchedule stops or restarts a schedule; resuming computes the next run from now, so time
// spent paused is not made up.
func (s *Scheduler) PauseSchedule(id string, paused bool) (Schedule, error) {
	var out Schedule
	err := s.updateSchedule(id, func(rec *Schedule) error {
		rec.Paused = paused
		if !paused {
			c, err := parseCron(rec.Cron, rec.TimeZone)
			if err != nil {
				return err
			}
			n := c.Next(s.clock.Now())
			rec.NextRun = &n
		}
		out = *rec
		return nil
	})
	s.poke()
	return out, err
}

// DeleteSchedule removes a schedule; jobs it already submitted are not touched.
func (s *Scheduler) DeleteSchedule(id string) error { return s.delete(store.Schedules, id) }

// RunSchedule runs a schedule now, outside its cron times, and returns the job id.
func (s *Scheduler) RunSchedule(id string) (string, error) {
	sc, err := s.GetSchedule(id)
	if err != nil {
		return "", err
	}
	jobID, err := s.fireSchedule(id, s.clock.Now(), nil)
	if err == nil && sc.NextRun != nil { // a manual run does not move the cron timetable
		s.updateSchedule(id, func(rec *Schedule) error { rec.NextRun = sc.NextRun; return nil })
	}
	return jobID, err
}

func (s *Scheduler) delete(c store.Collection, id string) error {
	return notFound(s.store.DeleteRecord(context.Background(), c, id), id)
}

// CreatePolicy validates and stores a backup policy.
func (s *Scheduler) CreatePolicy(p Policy) (Policy, error) {
	if err := checkName(p.Name); err != nil {
		return Policy{}, err
	}
	if p.Provider == "" {
		p.Provider = s.defaultProvider
	}
	if p.Provider == "" {
		return Policy{}, fieldErr("provider", "is required when more than one provider is configured")
	}
	prov, err := s.providers.Provider(p.Provider)
	if err != nil {
		return Policy{}, &jobs.FieldError{Field: "provider", Message: err.Error(), Err: err}
	}
	if err := p.VMFilter.filter().Validate(); err != nil {
		return Policy{}, vmFilterErr(err)
	}
	c, err := parseCron(p.Schedule, p.TimeZone)
	if err != nil {
		return Policy{}, fieldErr("schedule", "%v", err)
	}
	next, err := firstRun(c, p.Schedule, s.clock.Now())
	if err != nil {
		return Policy{}, fieldErr("schedule", "%v", err)
	}
	if p.Retention.Count < 0 || p.Retention.AgeDays < 0 {
		return Policy{}, fieldErr("retention", "count and age_days must not be negative")
	}
	if err := s.probePolicy(&p); err != nil {
		return Policy{}, err
	}
	if !p.VMFilter.empty() {
		if err := checkFilterFields(prov, p); err != nil {
			return Policy{}, err
		}
	}
	s.names.Lock()
	defer s.names.Unlock()
	if err := s.policyNameFree(p.Name); err != nil {
		return Policy{}, err
	}
	p.ID, p.CreatedAt, p.NextRun, p.Backups = newID("policy-"), s.clock.Now().UTC(), &next, nil
	if err := s.put(store.Policies, p.ID, p); err != nil {
		return Policy{}, err
	}
	s.log.Info("backup policy created", "policy", p.Name, "schedule", p.Schedule, "next_run", p.NextRun)
	s.poke()
	return p, nil
}

// probePolicy runs the job checks each backup will meet on a spec like the ones the policy
// submits (export method, options the provider declares, the method's plan, the folder under
// export.base_path), so a policy that could never run is refused now, not failed at every run.
// It defaults the export method.
func (s *Scheduler) probePolicy(p *Policy) error {
	probe := jobs.Spec{VMIdentifier: "policy-probe", Provider: p.Provider, ExportMethod: p.ExportOptions.ExportMethod,
		ExportPath: filepath.Join(s.policyDir(*p), "probe"), Options: p.ExportOptions.Options, Hyper2KVM: p.ExportOptions.Hyper2KVM}
	if err := s.jobs.Validate(&probe, "policy-probe"); err != nil {
		var fe *jobs.FieldError
		if !errors.As(err, &fe) {
			return err
		}
		field := "export_options." + fe.Field
		if fe.Field == "export_path" { // the policy's folder is named after the policy
			field = "name"
		}
		return &jobs.FieldError{Field: field, Message: fe.Message, Err: fe.Err}
	}
	p.ExportOptions.ExportMethod = probe.ExportMethod
	return nil
}

// checkFilterFields refuses a vm_filter field the policy's provider does not honour: it would
// ignore it and the policy would back up every VM. A provider not ready to answer is a 503.
func checkFilterFields(prov provider.Provider, p Policy) error {
	info, err := jobs.ProviderInfo(prov, p.Provider)
	if err != nil {
		return err
	}
	if err := provider.CheckFilterFields(p.Provider, info, p.VMFilter.filter()); err != nil {
		return vmFilterErr(err)
	}
	return nil
}

// vmFilterErr makes a refused filter field (provider.FilterError) the 400 naming vm_filter.<field>.
func vmFilterErr(err error) error {
	var fe *provider.FilterError
	if !errors.As(err, &fe) {
		return err
	}
	return &jobs.FieldError{Field: "vm_filter." + fe.Field, Message: fe.Message, Err: err}
}

// DeletePolicy removes a policy; its backups stay on disk.
func (s *Scheduler) DeletePolicy(id string) error { return s.delete(store.Policies, id) }

// RunPolicy runs a policy now and returns the jobs it submitted.
func (s *Scheduler) RunPolicy(ctx context.Context, id string) ([]string, error) {
	p, err := s.GetPolicy(id)
	if err != nil {
		return nil, err
	}
	ids, err := s.firePolicy(ctx, id, s.clock.Now(), nil)
	if p.NextRun != nil {
		s.updatePolicy(id, func(rec *Policy) error { rec.NextRun = p.NextRun; return nil })
	}
	return ids, err
}
