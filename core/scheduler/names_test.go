package scheduler

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
)

// fieldOf is the field a *jobs.FieldError names, "" for nil, and "not a field error: …" else.
func fieldOf(err error) string {
	var fe *jobs.FieldError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &fe):
		return fe.Field
	default:
		return "not a field error: " + err.Error()
	}
}

// An update is checked as a create is, and may not take the folder of another schedule.
func TestScheduleUpdateValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, in, cron, field string
	}{
		{"another's name", "nightly run", "@daily", "name"},
		{"another's folder name", "nightly/run", "@daily", "name"},
		{"its own name", "weekly", "@weekly", ""},
		{"a free name", "weekly run", "@weekly", ""},
		{"a name too long", strings.Repeat("w", 129), "@weekly", "name"},
		{"a control character", "week\tly", "@weekly", "name"},
		{"every second", "weekly", "@every 0s", "cron"},
		{"30 February", "weekly", "0 0 30 2 *", "cron"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newTestScheduler(t, &fakeClock{now: time.Now()}, filepath.Join(t.TempDir(), "s.db"))
			if _, err := s.CreateSchedule(Schedule{Name: "nightly run", Cron: "@daily"}); err != nil {
				t.Fatal(err)
			}
			weekly, err := s.CreateSchedule(Schedule{Name: "weekly", Cron: "@weekly"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.UpdateSchedule(weekly.ID, Schedule{Name: c.in, Cron: c.cron})
			if got := fieldOf(err); got != c.field {
				t.Fatalf("update to %.40q %q: err = %v, want field %q", c.in, c.cron, err, c.field)
			}
		})
	}
}

// A policy's name and schedule are checked as a schedule's are; a name whose folder is taken
// is refused with the name of the policy that has it.
func TestPolicyValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, policy, schedule, field, message string
	}{
		{"every 0s", "p", "@every 0s", "schedule", "once a minute"},
		{"every -1m", "p", "@every -1m", "schedule", "once a minute"},
		{"every 1ns", "p", "@every 1ns", "schedule", "once a minute"},
		{"30 February", "p", "0 0 30 2 *", "schedule", "never fires"},
		{"31 April", "p", "0 0 31 4 *", "schedule", "never fires"},
		{"a 100 KB name", strings.Repeat("p", 100<<10), "@daily", "name", "at most 128"},
		{"a newline", "prod\nvms", "@daily", "name", "control characters"},
		{"a NUL", "prod\x00vms", "@daily", "name", "control characters"},
		{"the same name", "prod vms", "@daily", "name", `a policy named "prod vms" exists;`},
		{"the same folder name", "prod/vms", "@daily", "name", `a policy named "prod vms" exists, and "prod/vms" makes the same folder name "prod_vms"`},
		{"the folder of a policy stored before names were checked", "a/b", "@daily", "name", `a policy named "a\x00b" exists`},
		{"every minute", "fine", "@every 1m", "", ""},
		{"29 February", "leap", "0 0 29 2 *", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newTestScheduler(t, &fakeClock{now: time.Now()}, filepath.Join(t.TempDir(), "s.db"))
			s.providers, s.defaultProvider = oneProvider{"fake", fake.New()}, "fake"
			if _, err := s.CreatePolicy(Policy{Name: "prod vms", Schedule: "@daily"}); err != nil {
				t.Fatal(err)
			}
			if err := s.put(store.Policies, "policy-old", Policy{ID: "policy-old", Name: "a\x00b", Schedule: "@daily"}); err != nil {
				t.Fatal(err)
			}
			_, err := s.CreatePolicy(Policy{Name: c.policy, Schedule: c.schedule})
			if got := fieldOf(err); got != c.field {
				t.Fatalf("err = %v, want field %q", err, c.field)
			}
			if err != nil && !strings.Contains(err.Error(), c.message) {
				t.Fatalf("err = %v, want it to say %s", err, c.message)
			}
		})
	}
}
