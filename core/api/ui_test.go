package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/auth"
	"github.com/hypersdk/hypersdk/core/config"
	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/store"
)

const (
	viewerToken   = "viewer-token-0123456789"
	operatorTok   = "operator-token-0123456789"
	adminTok      = "admin-token-0123456789"
	testProviderA = "vsphere-a"
)

func authOn() *auth.Authenticator {
	return auth.New(config.Auth{Enabled: true, Tokens: []config.Token{
		{Name: "val", Role: "viewer", Token: viewerToken}, {Name: "ops", Role: "operator", Token: operatorTok}, {Name: "root", Role: "admin", Token: adminTok}}})
}

func bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// uiTestManager is a job manager over a temp store holding js.
func uiTestManager(t *testing.T, js ...jobs.Job) *jobs.Manager {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "jobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	storeTestJobs(t, db, js...)
	return jobs.NewManager(jobs.Config{Workers: 1, ConcurrentExports: 1}, db, events.NewBus(), nil, jobs.KVMConfig{}, hclog.NewNullLogger())
}

// With auth on, the dashboard's page and assets answer without a token (they hold no data);
// the API behind them still asks for one.
func TestDashboardAnswersWithoutATokenAndTheAPIDoesNot(t *testing.T) {
	t.Parallel()
	srv := testServer(t, Deps{Auth: authOn()})
	status, page, _ := send(t, srv, testRequest{method: "GET", path: "/ui/"})
	if status != 200 || !strings.Contains(page, "<title>hypervisord</title>") {
		t.Fatalf("GET /ui/ = %d %.200s", status, page)
	}
	css := regexp.MustCompile(`href="(/ui/a-[0-9a-f]+/app\.css)"`).FindStringSubmatch(page)
	if css == nil {
		t.Fatalf("the page names no stylesheet: %s", page)
	}
	cases := []struct {
		path   string
		header map[string]string
		status int
	}{
		{"/ui", nil, 200},
		{css[1], nil, 200},
		{"/jobs", nil, 401},
		{"/auth/whoami", nil, 401},
		{"/auth/whoami", bearer(viewerToken), 200},
	}
	for _, c := range cases {
		if got, body, _ := send(t, srv, testRequest{method: "GET", path: c.path, header: c.header}); got != c.status {
			t.Errorf("GET %s = %d, want %d: %.200s", c.path, got, c.status, body)
		}
	}
}

// GET /auth/whoami says what each role may do beyond reading, in /openapi.json's path form.
func TestWhoAmIListsWhatTheRoleMayDo(t *testing.T) {
	t.Parallel()
	on := testServer(t, Deps{Auth: authOn()})
	off := testServer(t, Deps{})
	cases := []struct {
		name         string
		srv          http.Handler
		header       map[string]string
		who, role    string
		authEnabled  bool
		may, mayNot  []string
		allowedCount int
	}{
		{"viewer", on, bearer(viewerToken), "val", "viewer", true, nil, []string{"POST /jobs/submit", "GET /audit", "GET /webhooks"}, 0},
		{"operator", on, bearer(operatorTok), "ops", "operator", true,
			[]string{"POST /jobs/submit", "POST /jobs/cancel/{id}", "POST /jobs/retry/{id}", "POST /schedules/{id}/run"},
			[]string{"POST /schedules/create", "GET /audit", "GET /webhooks"}, -1},
		{"admin", on, bearer(adminTok), "root", "admin", true,
			[]string{"POST /jobs/submit", "POST /schedules/create", "POST /schedules/{id}/pause", "GET /audit", "GET /webhooks", "DELETE /webhooks/{id}"}, nil, len(routeRoles) + len(checkedInHandler)},
		{"auth off", off, nil, "anonymous", "admin", false, []string{"POST /jobs/submit", "GET /audit"}, nil, len(routeRoles) + len(checkedInHandler)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, body, _ := send(t, c.srv, testRequest{method: "GET", path: "/auth/whoami", header: c.header})
			var got WhoAmI
			if status != 200 || json.Unmarshal([]byte(body), &got) != nil {
				t.Fatalf("GET /auth/whoami = %d %s", status, body)
			}
			if got.Name != c.who || got.Role != c.role || got.AuthEnabled != c.authEnabled {
				t.Errorf("got %+v", got)
			}
			allowed := map[string]bool{}
			for _, r := range got.Allowed {
				allowed[r] = true
			}
			for _, r := range c.may {
				if !allowed[r] {
					t.Errorf("%s may call %s, but allowed = %v", c.role, r, got.Allowed)
				}
			}
			for _, r := range c.mayNot {
				if allowed[r] {
					t.Errorf("%s may not call %s, but allowed lists it", c.role, r)
				}
			}
			if c.allowedCount >= 0 && len(got.Allowed) != c.allowedCount {
				t.Errorf("allowed has %d routes, want %d: %v", len(got.Allowed), c.allowedCount, got.Allowed)
			}
		})
	}
}

// GET /jobs/summary counts jobs per status, the failures of the last day (created in it) and
// lists the newest failures.
func TestJobSummaryCountsTheLastDaysFailures(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	ended := func(id string, s jobs.Status, ago time.Duration, msg string) jobs.Job {
		created := now.Add(-ago)
		end := created.Add(time.Minute)
		return jobs.Job{ID: id, Status: s, CreatedAt: created, FinishedAt: &end, Error: msg, Spec: jobs.Spec{VMIdentifier: "vm-" + id, Provider: testProviderA}}
	}
	m := uiTestManager(t,
		ended("f1", jobs.StatusFailed, time.Hour, "disk 1: lease expired"),
		ended("f2", jobs.StatusFailed, 20*time.Hour, "auth"),
		ended("f3", jobs.StatusFailed, 30*time.Hour, "old"),
		ended("c1", jobs.StatusCompleted, time.Hour, ""),
		ended("c2", jobs.StatusCompleted, 2*time.Hour, ""),
		jobs.Job{ID: "p1", Status: jobs.StatusPending, CreatedAt: now})
	srv := testServer(t, Deps{Jobs: m})
	status, body, _ := send(t, srv, testRequest{method: "GET", path: "/jobs/summary"})
	var got JobSummary
	if status != 200 || json.Unmarshal([]byte(body), &got) != nil {
		t.Fatalf("GET /jobs/summary = %d %s", status, body)
	}
	want := map[string]int{"pending": 1, "running": 0, "completed": 2, "failed": 3, "cancelled": 0}
	if fmt.Sprint(got.ByStatus) != fmt.Sprint(want) {
		t.Errorf("by_status = %v, want %v", got.ByStatus, want)
	}
	if got.FailedLastDay != 2 || len(got.RecentFailures) != 3 || got.RecentFailures[0].JobID != "f1" ||
		got.RecentFailures[0].Error != "disk 1: lease expired" || got.RecentFailures[0].VM != "vm-f1" || got.ThroughputBps != 0 {
		t.Errorf("summary = %+v", got)
	}
}

// GET /jobs?provider= pages through one provider instance's jobs, newest first, with their total.
func TestJobsFilteredByProvider(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	var js []jobs.Job
	for i := 0; i < 12; i++ {
		p := testProviderA
		if i%3 == 0 {
			p = "aws"
		}
		js = append(js, jobs.Job{ID: fmt.Sprintf("job-%02d", i), Status: jobs.StatusPending, CreatedAt: now.Add(time.Duration(i) * time.Second),
			Spec: jobs.Spec{VMIdentifier: fmt.Sprint(i), Provider: p}})
	}
	srv := testServer(t, Deps{Jobs: uiTestManager(t, js...)})
	cases := []struct {
		query string
		total int
		ids   []string
	}{
		{"provider=aws", 4, []string{"job-09", "job-06", "job-03", "job-00"}},
		{"provider=" + testProviderA + "&limit=3&offset=2", 8, []string{"job-08", "job-07", "job-05"}},
		{"provider=aws&status=completed", 0, nil},
		{"provider=gcp", 0, nil},
	}
	for _, c := range cases {
		status, body, _ := send(t, srv, testRequest{method: "GET", path: "/jobs?" + c.query})
		var got JobList
		if status != 200 || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("GET /jobs?%s = %d %s", c.query, status, body)
		}
		var ids []string
		for _, j := range got.Jobs {
			ids = append(ids, j.ID)
		}
		if got.Total != c.total || fmt.Sprint(ids) != fmt.Sprint(c.ids) {
			t.Errorf("GET /jobs?%s: total %d, jobs %v; want %d, %v", c.query, got.Total, ids, c.total, c.ids)
		}
	}
}

// POST /jobs/retry/{id} takes only a failed or cancelled job, and needs the operator role.
// (A retry that is accepted runs in the daemon's end-to-end tests, against a real provider.)
func TestRetryRefusesWhatCannotBeRetried(t *testing.T) {
	t.Parallel()
	now := time.Now().UTC()
	srv := testServer(t, Deps{Auth: authOn(), Jobs: uiTestManager(t,
		jobs.Job{ID: "job-done", Status: jobs.StatusCompleted, CreatedAt: now, FinishedAt: &now},
		jobs.Job{ID: "job-failed", Status: jobs.StatusFailed, CreatedAt: now, FinishedAt: &now})})
	json := map[string]string{"Content-Type": "application/json"}
	with := func(tok string) map[string]string {
		h := bearer(tok)
		for k, v := range json {
			h[k] = v
		}
		return h
	}
	cases := []struct {
		path, token string
		status      int
		code        string
	}{
		{"/jobs/retry/job-done", operatorTok, 409, "conflict"},
		{"/jobs/retry/job-nope", operatorTok, 404, "not_found"},
		{"/jobs/retry/job-failed", viewerToken, 403, "forbidden"},
	}
	for _, c := range cases {
		status, body, e := send(t, srv, testRequest{method: "POST", path: c.path, header: with(c.token)})
		if status != c.status || e.Code != c.code {
			t.Errorf("POST %s = %d %s, want %d %s", c.path, status, body, c.status, c.code)
		}
	}
}
