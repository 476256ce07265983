package scheduler

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

func TestRetention(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	b := func(id string, ageDays int, status jobs.Status) Backup {
		return Backup{JobID: id, VM: "web", CreatedAt: now.Add(-time.Duration(ageDays) * day), Status: string(status)}
	}
	ok, bad, running := jobs.StatusCompleted, jobs.StatusFailed, jobs.StatusRunning
	cases := []struct {
		name    string
		backups []Backup
		r       Retention
		want    []string
	}{
		{"count only", []Backup{b("a", 0, ok), b("b", 1, ok), b("c", 2, ok), b("d", 3, ok)}, Retention{Count: 2}, []string{"c", "d"}},
		{"age only", []Backup{b("a", 0, ok), b("b", 10, ok), b("c", 40, ok)}, Retention{AgeDays: 30}, []string{"c"}},
		{"both", []Backup{b("a", 0, ok), b("b", 1, ok), b("c", 2, ok), b("d", 45, ok)}, Retention{Count: 3, AgeDays: 30}, []string{"d"}},
		{"failed in between do not count and go", []Backup{b("a", 0, ok), b("f1", 1, bad), b("b", 2, ok), b("f2", 3, bad), b("c", 4, ok)}, Retention{Count: 2}, []string{"f1", "f2", "c"}},
		{"newest success survives any age", []Backup{b("a", 100, ok), b("b", 200, ok)}, Retention{AgeDays: 30}, []string{"b"}},
		{"failures before any success stay", []Backup{b("f", 0, bad), b("a", 1, ok)}, Retention{Count: 1}, nil},
		{"a backup being written is never touched", []Backup{b("r", 0, running), b("a", 1, ok), b("b", 2, ok)}, Retention{Count: 1}, []string{"b"}},
		{"no limits", []Backup{b("a", 0, ok), b("b", 900, ok)}, Retention{}, nil},
	}
	for _, c := range cases {
		var got []string
		for _, p := range toPrune(c.backups, c.r, now) {
			got = append(got, p.JobID)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: pruned %v, want %v", c.name, got, c.want)
		}
	}
}

// fakeClock only moves when the test says so.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.waiters = append(c.waiters, waiter{c.now.Add(d), ch})
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// fakeJobs records submissions.
type fakeJobs struct {
	mu        sync.Mutex
	submitted []jobs.Spec
}

func (f *fakeJobs) Submit(specs []jobs.Spec, scheduleID string) ([]jobs.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]jobs.Job, len(specs))
	for i, s := range specs {
		f.submitted = append(f.submitted, s)
		out[i] = jobs.Job{ID: fmt.Sprintf("job-%d", len(f.submitted)), Status: jobs.StatusPending, ExportDir: s.ExportPath, ScheduleID: scheduleID}
	}
	return out, nil
}
func (f *fakeJobs) Validate(*jobs.Spec, string) error { return nil }
func (f *fakeJobs) Get(id string) (jobs.Job, error)   { return jobs.Job{}, jobs.ErrNotFound }
func (f *fakeJobs) count() int                        { f.mu.Lock(); defer f.mu.Unlock(); return len(f.submitted) }

type noProviders struct{}

func (noProviders) Provider(string) (provider.Provider, error) { return nil, fmt.Errorf("none") }

func newTestScheduler(t *testing.T, clock *fakeClock, path string) (*Scheduler, *fakeJobs) {
	st, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fj := &fakeJobs{}
	return New(st, fj, noProviders{}, events.NewBus(), t.TempDir(), "", clock, hclog.NewNullLogger()), fj
}

func waitCount(t *testing.T, fj *fakeJobs, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for fj.count() < want && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // and no more than want
	if got := fj.count(); got != want {
		t.Fatalf("%d runs, want %d", got, want)
	}
}

func TestCronRunsOnTheFakeClockAndMissedRunsRunOnce(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Date(2026, 11, 25, 1, 0, 0, 0, time.UTC)}
	dbPath := filepath.Join(t.TempDir(), "s.db")
	s, fj := newTestScheduler(t, clock, dbPath)
	sc, err := s.CreateSchedule(Schedule{Name: "nightly-vm-backup", Cron: "0 2 * * *", JobDefinition: jobs.Spec{VMIdentifier: "vm-123", Provider: "vsphere", ExportPath: "/exports/nightly"}})
	if err != nil {
		t.Fatal(err)
	}
	if !sc.NextRun.Equal(time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)) {
		t.Fatalf("next run %v", sc.NextRun)
	}
	s.Start(context.Background())
	clock.Advance(30 * time.Minute)
	waitCount(t, fj, 0)
	clock.Advance(31 * time.Minute)
	waitCount(t, fj, 1)
	if got := fj.submitted[0].ExportPath; got != "/exports/nightly/20261125T020100.000Z" {
		t.Errorf("run exported to %s, want its own timestamped folder", got)
	}
	s.Close()

	// Three nights pass with the daemon down: one catch-up run, then back on the timetable.
	clock.Advance(3 * 24 * time.Hour)
	s.store.(*store.Store).Close()
	s2, fj2 := newTestScheduler(t, clock, dbPath)
	s2.Start(context.Background())
	defer s2.Close()
	waitCount(t, fj2, 1)
	got, _ := s2.GetSchedule(sc.ID)
	if want := time.Date(2026, 11, 29, 2, 0, 0, 0, time.UTC); !got.NextRun.Equal(want) || got.LastJobID == "" {
		t.Errorf("after catch-up: next %v last job %q, want next %v", got.NextRun, got.LastJobID, want)
	}
}

func TestScheduleValidation(t *testing.T) {
	t.Parallel()
	s, _ := newTestScheduler(t, &fakeClock{now: time.Now()}, filepath.Join(t.TempDir(), "s.db"))
	if _, err := s.CreateSchedule(Schedule{Name: "nightly backup", Cron: "@daily"}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		sc    Schedule
		field string
	}{
		{Schedule{Cron: "@daily"}, "name"},
		{Schedule{Name: "x", Cron: "61 * * * *"}, "cron"},
		{Schedule{Name: "x", Cron: "every day"}, "cron"},
		{Schedule{Name: "x", Cron: "@daily", TimeZone: "Mars/Olympus"}, "timezone"},
		// An @every under cron's minute was rounded up to a second: a job every second.
		{Schedule{Name: "x", Cron: "@every 0s"}, "cron"},
		{Schedule{Name: "x", Cron: "@every -1m"}, "cron"},
		{Schedule{Name: "x", Cron: "@every 1ns"}, "cron"},
		{Schedule{Name: "x", Cron: "@every 59s"}, "cron"},
		// Days no month has: the next run was the zero time, fired at every pass.
		{Schedule{Name: "x", Cron: "0 0 30 2 *"}, "cron"},
		{Schedule{Name: "x", Cron: "0 0 31 4 *"}, "cron"},
		{Schedule{Name: "x", Cron: "0 0 30 2 *", TimeZone: "Europe/Berlin"}, "cron"},
		// The name names the runs' folder (schedules/<name>).
		{Schedule{Name: strings.Repeat("n", 100<<10), Cron: "@daily"}, "name"},
		{Schedule{Name: strings.Repeat("n", 129), Cron: "@daily"}, "name"},
		{Schedule{Name: "a\x00b", Cron: "@daily"}, "name"},
		{Schedule{Name: "two\nlines", Cron: "@daily"}, "name"},
		{Schedule{Name: "del\x7f", Cron: "@daily"}, "name"},
		{Schedule{Name: "nightly backup", Cron: "@hourly"}, "name"},
		{Schedule{Name: "nightly/backup", Cron: "@hourly"}, "name"}, // the same folder, nightly_backup
	}
	for _, c := range cases {
		_, err := s.CreateSchedule(c.sc)
		fe, ok := err.(*jobs.FieldError)
		if !ok || fe.Field != c.field {
			t.Errorf("%.80q %q: err = %v, want a field error on %s", c.sc.Name, c.sc.Cron, err, c.field)
		}
	}
	for i, expr := range []string{"@hourly", "@every 15m", "@every 1m", "*/5 * * * *", "0 2 * * 1-5", "0 0 29 2 *"} {
		if _, err := s.CreateSchedule(Schedule{Name: fmt.Sprintf("ok-%d", i), Cron: expr, TimeZone: "Europe/Berlin"}); err != nil {
			t.Errorf("%q rejected: %v", expr, err)
		}
	}
	if _, err := s.CreateSchedule(Schedule{Name: strings.Repeat("n", 128), Cron: "@daily"}); err != nil {
		t.Errorf("a 128-byte name rejected: %v", err)
	}
}
