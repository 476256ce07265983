package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// What the dashboard added to the API (#23) hyperctl has too: jobs summary, retry, list by
// provider, and each webhook's last delivery, against a daemon with one failed, one cancelled
// and one completed job.
func TestDashboardAPIAsCommands(t *testing.T) {
	t.Parallel()
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer recv.Close()
	server := startDaemon(t, "chunk_delay: 150ms") // slow enough to cancel vm-002 before it completes
	for _, path := range []string{"/ok", "/broken"} {
		if r := hyperctl(t, server, "webhooks", "add", "--url", recv.URL+path, "--event", "job.failed"); r.code != 0 {
			t.Fatalf("webhooks add %s: %+v", path, r)
		}
	}
	if r := hyperctl(t, server, "jobs", "submit", "--vm", "vm-001", "--provider", "testprovider", "-w"); r.code != 0 {
		t.Fatalf("the completed job: %+v", r)
	}
	if r := hyperctl(t, server, "jobs", "submit", "--vm", "vm-exit", "--provider", "testprovider", "-w"); r.code != 1 {
		t.Fatalf("the failed job: %+v", r)
	}
	waitProviderReady(t, server) // vm-exit took the plugin down with it
	cancelled := submitID(t, server, "vm-002")
	if r := hyperctl(t, server, "jobs", "cancel", cancelled); r.code != 0 {
		t.Fatalf("jobs cancel: %+v", r)
	}
	completed, failed := onlyJob(t, server, "completed"), onlyJob(t, server, "failed")
	waitLastDeliveries(t, server, 2)

	cases := []struct {
		name   string
		args   []string
		code   int
		stdout *regexp.Regexp
		stderr string
	}{
		{"summary table", []string{"jobs", "summary"}, 0, regexp.MustCompile(
			`^PENDING\s+RUNNING\s+COMPLETED\s+FAILED\s+CANCELLED\s+MB/S\s+FAILED_24H\s+UNRELEASED_HOLDS\n0\s+0\s+1\s+1\s+1\s+0\.0\s+1\s+0\s*\n\nnewest failures:\nJOB_ID\s+VM\s+PROVIDER\s+FINISHED\s+ERROR\n` + failed + `\s+vm-exit\s+testprovider\s+\d{4}-\S+\s+\S`), ""},
		{"summary json", []string{"jobs", "summary", "-o", "json"}, 0, regexp.MustCompile(`"failed_last_day": 1,`), ""},
		{"summary with a bad flag", []string{"jobs", "summary", "--since", "1h"}, 2, regexp.MustCompile(`^$`), "unknown flag: --since"},
		{"list by provider", []string{"jobs", "list", "--provider", "testprovider"}, 0, regexp.MustCompile(`(?m)^JOB_ID\s.*\n(job-\S+\s+\w+\s.*testprovider\s.*\n){3}$`), ""},
		{"list by provider and status", []string{"jobs", "list", "--provider", "testprovider", "--status", "failed"}, 0, regexp.MustCompile(`^JOB_ID\s.*\n` + failed + `\s+failed\s.*\n$`), ""},
		{"list by a provider with no jobs", []string{"jobs", "list", "--provider", "vsphere"}, 0, regexp.MustCompile(`^JOB_ID\s[^\n]*\n$`), ""},
		{"list by an empty provider", []string{"jobs", "list", "--provider", ""}, 2, regexp.MustCompile(`^$`), "--provider must name a provider instance"},
		{"webhooks list shows the last delivery", []string{"webhooks", "list"}, 0, regexp.MustCompile(
			`(?s)^ID\s+URL\s+EVENTS\s+SOURCE\s+LAST_EVENT\s+LAST_AT\s+DELIVERED\s+LAST_ERROR\n.*/ok\s+job.failed\s+api\s+job.failed\s+\d{4}-\S+\s+true\s+-\n.*/broken\s+job.failed\s+api\s+job.failed\s+\d{4}-\S+\s+false\s+receiver answered 500 Internal Server Error`), ""},
		{"retry needs a job", []string{"jobs", "retry"}, 2, regexp.MustCompile(`^$`), "accepts 1 arg(s)"},
		{"retry of an unknown job", []string{"jobs", "retry", "job-000000000000"}, 1, regexp.MustCompile(`^$`), "404 not_found (job_id): "},
		{"retry of a completed job", []string{"jobs", "retry", completed}, 1, regexp.MustCompile(`^$`), "409 conflict: "},
		{"retry of the cancelled job, watched", []string{"jobs", "retry", cancelled, "-w"}, 0, regexp.MustCompile(`(?m)^job-[0-9a-f]{12} completed `), ""},
		// Last: vm-exit takes the plugin down again, failing whatever it runs.
		{"retry of the failed job", []string{"jobs", "retry", failed}, 0, regexp.MustCompile(`^JOB_ID\s+STATUS\s+CREATED\s*\njob-[0-9a-f]{12}\s+pending\s+\d{4}-`), ""},
	}
	for _, c := range cases {
		r := hyperctl(t, server, c.args...)
		if r.code != c.code || !c.stdout.MatchString(r.stdout) || !strings.Contains(r.stderr, c.stderr) {
			t.Errorf("%s: hyperctl %v = exit %d\nstdout: %s\nstderr: %s\nwant exit %d, stdout matching %s, stderr with %q",
				c.name, c.args, r.code, r.stdout, r.stderr, c.code, c.stdout, c.stderr)
		}
		if c.code != 0 && strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 {
			t.Errorf("%s: error is not one line: %q", c.name, r.stderr)
		}
	}
}

// With auth on, whoami names the token's role and what it may call beyond reading, and the
// API's 401 and 403 reach the user as one line with the status.
func TestWhoamiAndRefusalsByRole(t *testing.T) {
	t.Parallel()
	const viewer, operator, admin = "viewer-token-0123456789", "operator-token-0123456789", "admin-token-0123456789"
	server := startDaemonWith(t, `auth:
  enabled: true
  tokens:
    - {name: dashboards, role: viewer, token: "`+viewer+`"}
    - {name: ops, role: operator, token: "`+operator+`"}
    - {name: root, role: admin, token: "`+admin+`"}
`)
	cases := []struct {
		name   string
		args   []string
		code   int
		stdout *regexp.Regexp
		stderr string
	}{
		{"viewer", []string{"whoami", "--token", viewer}, 0, regexp.MustCompile(
			`^NAME\s+ROLE\s+AUTH_ENABLED\ndashboards\s+viewer\s+true\s*\n\nmay call: what a viewer may \(reads\)\n$`), ""},
		{"operator", []string{"whoami", "--token", operator}, 0, regexp.MustCompile(
			`^NAME\s+ROLE\s+AUTH_ENABLED\nops\s+operator\s+true\s*\n\nMAY_ALSO_CALL\n(POST /\S+\n)*POST /jobs/retry/\{id\}\n(POST /\S+\n)*$`), ""},
		{"admin as json", []string{"whoami", "--token", admin, "-o", "json"}, 0, regexp.MustCompile(`(?s)"allowed": \[.*"POST /jobs/prune".*"role": "admin"`), ""},
		{"no token", []string{"whoami"}, 1, regexp.MustCompile(`^$`), "401 unauthenticated: "},
		{"whoami with an argument", []string{"whoami", "root", "--token", admin}, 2, regexp.MustCompile(`^$`), `unknown command "root"`},
		{"viewer reads the summary", []string{"jobs", "summary", "--token", viewer}, 0, regexp.MustCompile(`^PENDING\s.*\n0\s+0\s+0\s+0\s+0\s+0\.0\s+0\s+0\s*\n$`), ""},
		{"viewer cannot retry", []string{"jobs", "retry", "job-000000000000", "--token", viewer}, 1, regexp.MustCompile(`^$`), "403 forbidden: dashboards has role viewer; this needs operator"},
		{"viewer cannot list webhooks", []string{"webhooks", "list", "--token", viewer}, 1, regexp.MustCompile(`^$`), "403 forbidden: dashboards has role viewer; listing webhooks needs admin"},
		{"operator retries what is not there", []string{"jobs", "retry", "job-000000000000", "--token", operator}, 1, regexp.MustCompile(`^$`), "404 not_found (job_id): "},
		{"viewer lists by provider", []string{"jobs", "list", "--provider", "testprovider", "--token", viewer}, 0, regexp.MustCompile(`^JOB_ID\s[^\n]*\n$`), ""},
	}
	for _, c := range cases {
		r := hyperctl(t, server, c.args...)
		if r.code != c.code || !c.stdout.MatchString(r.stdout) || !strings.Contains(r.stderr, c.stderr) {
			t.Errorf("%s: hyperctl %v = exit %d\nstdout: %s\nstderr: %s\nwant exit %d, stdout matching %s, stderr with %q",
				c.name, c.args, r.code, r.stdout, r.stderr, c.code, c.stdout, c.stderr)
		}
	}
	if r := hyperctl(t, server, "whoami", "--token", operator); strings.Contains(r.stdout, "/jobs/prune") {
		t.Errorf("an operator is offered the admin's prune:\n%s", r.stdout)
	}
}

// submitID submits an export of vm and returns the job's id.
func submitID(t *testing.T, server, vm string) string {
	t.Helper()
	r := hyperctl(t, server, "jobs", "submit", "--vm", vm, "--provider", "testprovider", "-o", "json")
	var job struct {
		ID string `json:"job_id"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &job); r.code != 0 || err != nil || job.ID == "" {
		t.Fatalf("submit %s = exit %d %q %s: %v", vm, r.code, r.stdout, r.stderr, err)
	}
	return job.ID
}

// onlyJob is the id of the one job with that status.
func onlyJob(t *testing.T, server, status string) string {
	t.Helper()
	r := hyperctl(t, server, "jobs", "list", "--status", status, "-o", "json")
	var list struct {
		Jobs []struct {
			ID string `json:"job_id"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Jobs) != 1 {
		t.Fatalf("jobs list --status %s = %+v (%v); want one job", status, r, err)
	}
	return list.Jobs[0].ID
}

// waitProviderReady waits until capabilities shows the test provider's plugin ready.
func waitProviderReady(t *testing.T, server string) {
	t.Helper()
	ready := regexp.MustCompile(`(?m)^testprovider\s+ready\s`)
	var r result
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if r = hyperctl(t, server, "capabilities"); ready.MatchString(r.stdout) {
			return
		}
	}
	t.Fatalf("the test provider never became ready again: %+v", r)
}

// waitLastDeliveries waits until n hooks have had a delivery attempt.
func waitLastDeliveries(t *testing.T, server string, n int) {
	t.Helper()
	var r result
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		r = hyperctl(t, server, "webhooks", "list", "-o", "json")
		var list struct {
			Webhooks []struct {
				Last *struct{} `json:"last_delivery"`
			} `json:"webhooks"`
		}
		got := 0
		if json.Unmarshal([]byte(r.stdout), &list) == nil {
			for _, h := range list.Webhooks {
				if h.Last != nil {
					got++
				}
			}
		}
		if got >= n {
			return
		}
	}
	t.Fatalf("webhooks never showed %d last deliveries: %+v", n, r)
}
