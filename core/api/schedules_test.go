package api

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/scheduler"
	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// acceptingJobs accepts every job definition and runs none: these tests only create schedules.
type acceptingJobs struct{}

func (acceptingJobs) Submit([]jobs.Spec, string) ([]jobs.Job, error) {
	return nil, fmt.Errorf("not in these tests")
}
func (acceptingJobs) Validate(*jobs.Spec, string) error { return nil }
func (acceptingJobs) Get(string) (jobs.Job, error)      { return jobs.Job{}, jobs.ErrNotFound }

// fakeOnly is the test provider under the name "fake".
type fakeOnly struct{}

func (fakeOnly) Provider(name string) (provider.Provider, error) {
	if name != "fake" {
		return nil, fmt.Errorf("no provider %q", name)
	}
	return fake.New(), nil
}

// scheduleServer is the API over a scheduler in a temporary store, not started.
func scheduleServer(t *testing.T) *Handler {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	s := scheduler.New(st, acceptingJobs{}, fakeOnly{}, events.NewBus(), t.TempDir(), "fake", nil, hclog.NewNullLogger())
	return testServer(t, Deps{Scheduler: s}).(*Handler)
}

// What the audit found accepted: sub-minute @every, dates that never come, names that collide
// in their folder, names no file system takes. Each is a 400 naming the field.
func TestScheduleAndPolicyValidation(t *testing.T) {
	t.Parallel()
	jsonType := map[string]string{"Content-Type": "application/json"}
	sched := func(name, cron string) string {
		n, _ := json.Marshal(name)
		return fmt.Sprintf(`{"name":%s,"cron":%q,"job_definition":{"vm_identifier":"vm-1","provider":"fake"}}`, n, cron)
	}
	policy := func(name, schedule string) string {
		n, _ := json.Marshal(name)
		return fmt.Sprintf(`{"name":%s,"schedule":%q}`, n, schedule)
	}
	const createS, createP = "/schedules/create", "/backup-policies/create"
	long := strings.Repeat("n", 100<<10)
	cases := []struct {
		name         string
		before       []testRequest // created first; {id} in the request's path is the last one's id
		method, path string
		body         string
		status       int
		field, says  string
	}{
		{"@every 0s", nil, "POST", createS, sched("x", "@every 0s"), 400, "cron", "once a minute"},
		{"@every -1m", nil, "POST", createS, sched("x", "@every -1m"), 400, "cron", "once a minute"},
		{"@every 1ns", nil, "POST", createS, sched("x", "@every 1ns"), 400, "cron", "once a minute"},
		{"@every 1m", nil, "POST", createS, sched("x", "@every 1m"), 201, "", ""},
		{"policy @every 0s", nil, "POST", createP, policy("x", "@every 0s"), 400, "schedule", "once a minute"},
		{"30 February", nil, "POST", createS, sched("x", "0 0 30 2 *"), 400, "cron", "never fires"},
		{"31 April", nil, "POST", createS, sched("x", "0 0 31 4 *"), 400, "cron", "never fires"},
		{"29 February", nil, "POST", createS, sched("x", "0 0 29 2 *"), 201, "", ""},
		{"policy on 30 February", nil, "POST", createP, policy("x", "0 0 30 2 *"), 400, "schedule", "never fires"},

		{"the same schedule name", []testRequest{{path: createS, body: sched("nightly", "@daily")}},
			"POST", createS, sched("nightly", "@hourly"), 400, "name", `a schedule named "nightly" exists`},
		{"the same schedule folder", []testRequest{{path: createS, body: sched("night ly", "@daily")}},
			"POST", createS, sched("night/ly", "@hourly"), 400, "name", `a schedule named "night ly" exists, and "night/ly" makes the same folder name "night_ly"`},
		{"an update to another's name", []testRequest{{path: createS, body: sched("nightly", "@daily")}, {path: createS, body: sched("weekly", "@weekly")}},
			"PUT", "/schedules/{id}", sched("nightly", "@weekly"), 400, "name", `a schedule named "nightly" exists`},
		{"an update keeping its name", []testRequest{{path: createS, body: sched("nightly", "@daily")}, {path: createS, body: sched("weekly", "@weekly")}},
			"PUT", "/schedules/{id}", sched("weekly", "@daily"), 200, "", ""},
		{"the same policy folder", []testRequest{{path: createP, body: policy("a b", "@daily")}},
			"POST", createP, policy("a/b", "@daily"), 400, "name", `a policy named "a b" exists`},

		{"a 100 KB schedule name", nil, "POST", createS, sched(long, "@daily"), 400, "name", "at most 128"},
		{"a 129-byte schedule name", nil, "POST", createS, sched(long[:129], "@daily"), 400, "name", "at most 128"},
		{"a 128-byte schedule name", nil, "POST", createS, sched(long[:128], "@daily"), 201, "", ""},
		{"a NUL in a schedule name", nil, "POST", createS, sched("a\x00b", "@daily"), 400, "name", "control characters"},
		{"a newline in a schedule name", nil, "POST", createS, sched("a\nb", "@daily"), 400, "name", "control characters"},
		{"a 100 KB policy name", nil, "POST", createP, policy(long, "@daily"), 400, "name", "at most 128"},
		{"a NUL in a policy name", nil, "POST", createP, policy("a\x00b", "@daily"), 400, "name", "control characters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := scheduleServer(t)
			var last struct {
				ID string `json:"id"`
			}
			for _, b := range c.before {
				status, body, _ := send(t, srv, testRequest{method: "POST", path: b.path, body: b.body, header: jsonType})
				if status != 201 {
					t.Fatalf("setup %s = %d %s", b.path, status, body)
				}
				json.Unmarshal([]byte(body), &last)
			}
			path := strings.ReplaceAll(c.path, "{id}", last.ID)
			status, body, e := send(t, srv, testRequest{method: c.method, path: path, body: c.body, header: jsonType})
			if status != c.status || e.Field != c.field || !strings.Contains(e.Message, c.says) {
				t.Fatalf("%s %s = %d %.300s; want %d field %q saying %s", c.method, c.path, status, body, c.status, c.field, c.says)
			}
		})
	}
}
