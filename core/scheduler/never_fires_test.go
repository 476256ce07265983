package scheduler

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/store"
)

// lockedBuffer is a log output the test reads while the scheduler writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// A schedule or policy stored with an expression that never fires (next_run the zero time,
// before create refused them) is skipped and logged once: it is not fired at every pass, and
// the loop still wakes for the other schedules' next run.
func TestLoopSkipsWhatNeverFires(t *testing.T) {
	t.Parallel()
	zero := time.Time{}
	cases := []struct {
		name     string
		stored   func(s *Scheduler) error
		kind, id string
	}{
		{"schedule on 30 February", func(s *Scheduler) error {
			return s.put(store.Schedules, "sched-feb30", Schedule{ID: "sched-feb30", Name: "feb30", Cron: "0 0 30 2 *", NextRun: &zero,
				JobDefinition: jobs.Spec{VMIdentifier: "vm-1", Provider: "p"}})
		}, "schedule", "sched-feb30"},
		{"schedule on 31 April", func(s *Scheduler) error {
			return s.put(store.Schedules, "sched-apr31", Schedule{ID: "sched-apr31", Name: "apr31", Cron: "0 0 31 4 *", NextRun: &zero,
				JobDefinition: jobs.Spec{VMIdentifier: "vm-1", Provider: "p"}})
		}, "schedule", "sched-apr31"},
		{"policy on 30 February", func(s *Scheduler) error {
			return s.put(store.Policies, "policy-feb30", Policy{ID: "policy-feb30", Name: "feb30", Schedule: "0 0 30 2 *", NextRun: &zero})
		}, "policy", "policy-feb30"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			clock := &fakeClock{now: time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)}
			s, fj := newTestScheduler(t, clock, filepath.Join(t.TempDir(), "s.db"))
			logs := &lockedBuffer{}
			s.log = hclog.New(&hclog.LoggerOptions{Output: logs, Level: hclog.Warn})
			good, err := s.CreateSchedule(Schedule{Name: "nightly", Cron: "0 2 * * *", JobDefinition: jobs.Spec{VMIdentifier: "vm-1", Provider: "p"}})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.stored(s); err != nil {
				t.Fatal(err)
			}
			for pass := 0; pass < 3; pass++ {
				if next := s.runDue(context.Background()); !next.Equal(*good.NextRun) {
					t.Fatalf("pass %d: loop waits for %v, want the good schedule's %v", pass, next, good.NextRun)
				}
			}
			if n := fj.count(); n != 0 {
				t.Errorf("%d jobs submitted, want none", n)
			}
			var last *time.Time
			if c.kind == "schedule" {
				rec, _ := s.GetSchedule(c.id)
				last = rec.LastRun
			} else {
				rec, _ := s.GetPolicy(c.id)
				last = rec.LastRun
			}
			if last != nil {
				t.Errorf("the %s that never fires ran at %v", c.kind, last)
			}
			if n := strings.Count(logs.String(), "never fires"); n != 1 {
				t.Errorf("logged %d times in 3 passes, want once:\n%s", n, logs.String())
			}
		})
	}
}
