package api

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/auth"
	"github.com/hypersdk/hypersdk/core/config"
	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/store"
)

// POST /jobs/prune deletes the jobs that ended more than older_than ago (default:
// database.job_retention), admin only, and says how many.
func TestPruneJobsEndpoint(t *testing.T) {
	t.Parallel()
	const adminToken, operatorToken = "admin-token-0123456789", "operator-token-0123456789"
	newServer := func(t *testing.T, retention time.Duration) http.Handler {
		db, err := store.Open(filepath.Join(t.TempDir(), "jobs.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		now := time.Now().UTC()
		ended := func(id string, ago time.Duration) jobs.Job {
			end := now.Add(-ago)
			return jobs.Job{ID: id, Status: jobs.StatusCompleted, CreatedAt: end.Add(-time.Hour), FinishedAt: &end}
		}
		storeTestJobs(t, db, ended("job-40d", 40*24*time.Hour), ended("job-10d", 10*24*time.Hour), ended("job-1h", time.Hour),
			jobs.Job{ID: "job-pending", Status: jobs.StatusPending, CreatedAt: now.Add(-100 * 24 * time.Hour)})
		m := jobs.NewManager(jobs.Config{Workers: 1, ConcurrentExports: 1, Retention: retention}, db, events.NewBus(), nil, jobs.KVMConfig{}, hclog.NewNullLogger())
		return testServer(t, Deps{Jobs: m, Auth: auth.New(config.Auth{Enabled: true, Tokens: []config.Token{
			{Name: "root", Role: "admin", Token: adminToken}, {Name: "ops", Role: "operator", Token: operatorToken}}})})
	}
	cases := []struct {
		name      string
		retention time.Duration
		token     string
		body      string
		code      int
		removed   int
		field     string
	}{
		{"the configured retention", 30 * 24 * time.Hour, adminToken, "{}", 200, 1, ""},
		{"an empty body is the configured retention", 30 * 24 * time.Hour, adminToken, "", 200, 1, ""},
		{"older_than", 30 * 24 * time.Hour, adminToken, `{"older_than":"168h"}`, 200, 2, ""},
		{"older_than 0 takes every ended job", 0, adminToken, `{"older_than":"0s"}`, 200, 3, ""},
		{"no retention, no age", 0, adminToken, "{}", 400, 0, "older_than"},
		{"negative", 0, adminToken, `{"older_than":"-1h"}`, 400, 0, "older_than"},
		{"not a duration", 0, adminToken, `{"older_than":"30 days"}`, 400, 0, "older_than"},
		{"operators may not", 0, operatorToken, `{"older_than":"0s"}`, 403, 0, ""},
	}
	for _, c := range cases {
		h := newServer(t, c.retention)
		code, body, e := send(t, h, testRequest{method: "POST", path: "/jobs/prune", body: c.body,
			header: map[string]string{"Authorization": "Bearer " + c.token, "Content-Type": "application/json"}})
		var out PruneResponse
		json.Unmarshal([]byte(body), &out)
		if code != c.code || out.Removed != c.removed || e.Field != c.field {
			t.Errorf("%s: %d %s; want %d, removed %d, field %q", c.name, code, body, c.code, c.removed, c.field)
			continue
		}
		// the pending job stays whatever its age; so does everything not removed
		_, listed, _ := send(t, h, testRequest{method: "GET", path: "/jobs", header: map[string]string{"Authorization": "Bearer " + adminToken}})
		var list JobList
		json.Unmarshal([]byte(listed), &list)
		if list.Total != 4-c.removed {
			t.Errorf("%s: %d jobs left, want %d", c.name, list.Total, 4-c.removed)
		}
	}
}
