package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/core/store/etcdstore/etcdtest"
)

// migrateStoreRun runs `hypervisord migrate-store args…` in process.
func migrateStoreRun(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"migrate-store"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// A single daemon's bbolt file moved into etcd: a daemon on etcd then serves the same jobs, with
// their logs, and the same schedule. Bad flags are refused naming the flag (exit 2), a full
// target is refused (exit 1).
func TestMigrateStoreFromBoltToEtcd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "hypersdk.db")
	base := filepath.Join(dir, "exports")
	single := startDaemon(t, fmt.Sprintf("providers:\n  testprovider:\n    vm_count: 1\nexport:\n  base_path: %s\ndatabase:\n  path: %s\n", base, dbPath))
	code, body, _ := single.do("POST", "/jobs/submit", `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"raw"}`)
	if code != 202 {
		t.Fatalf("submit = %d %v", code, body)
	}
	jobID := body["job_id"].(string)
	if j := single.waitJob(jobID); j["status"] != "completed" {
		t.Fatalf("job = %v", j)
	}
	code, sched, _ := single.do("POST", "/schedules/create", `{"name":"nightly","cron":"0 2 * * *","job_definition":{"vm_identifier":"vm-001","provider":"testprovider","export_method":"raw"}}`)
	if code != 201 {
		t.Fatalf("create schedule = %d %v", code, sched)
	}
	logsBefore := single.text("/jobs/logs/" + jobID)
	if !strings.Contains(logsBefore, "job accepted") {
		t.Fatalf("log before = %q", logsBefore)
	}
	if err := single.stop(); err != nil {
		t.Fatal(err)
	}

	endpoint := etcdtest.Start(t)
	cases := []struct {
		name    string
		args    []string
		code    int
		wantOut string
	}{
		{"unknown source kind", []string{"--from", "sqlite:/x.db", "--to", "etcd:" + endpoint}, 2, "--from: must be bbolt:PATH or etcd"},
		{"bbolt without a path", []string{"--from", "bbolt:", "--to", "etcd:" + endpoint}, 2, "--from: bbolt: needs the file's path"},
		{"etcd without endpoints", []string{"--from", "bbolt:" + dbPath, "--to", "etcd"}, 2, "--to: etcd: names no endpoint"},
		{"copy", []string{"--from", "bbolt:" + dbPath, "--to", "etcd:" + endpoint}, 0, "1 jobs"},
		{"into a full target", []string{"--from", "bbolt:" + dbPath, "--to", "etcd:" + endpoint}, 1, "target store is not empty"},
	}
	for _, c := range cases {
		code, stdout, stderr := migrateStoreRun(c.args...)
		if code != c.code || !strings.Contains(stdout+stderr, c.wantOut) {
			t.Errorf("%s: exit %d, out %q, err %q; want exit %d and %q", c.name, code, stdout, stderr, c.code, c.wantOut)
		}
	}

	clustered := startDaemon(t, fmt.Sprintf("providers:\n  testprovider:\n    vm_count: 1\nexport:\n  base_path: %s\ndatabase:\n  backend: etcd\n  etcd:\n    endpoints: [%q]\n    node_id: migrated\n", base, endpoint))
	_, j, _ := clustered.do("GET", "/jobs/query?job_id="+jobID, "")
	if j["status"] != "completed" {
		t.Errorf("job on etcd = %v", j)
	}
	if logsAfter := clustered.text("/jobs/logs/" + jobID); logsAfter != logsBefore {
		t.Errorf("logs on etcd differ:\n got %v\nwant %v", logsAfter, logsBefore)
	}
	_, list, _ := clustered.do("GET", "/schedules", "")
	if !strings.Contains(fmt.Sprint(list), sched["id"].(string)) {
		t.Errorf("schedules on etcd = %v, want %s", list, sched["id"])
	}
}
