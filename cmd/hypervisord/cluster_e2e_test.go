package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/store/etcdstore/etcdtest"
)

// clusterNodeConfig is one node of a cluster on etcd: the test provider exporting slowly, the
// export directory shared by every node (as NFS would be).
func clusterNodeConfig(endpoint, nodeID, shared string) string {
	return fmt.Sprintf(`
daemon:
  address: 127.0.0.1:0
  log_format: json
  plugins_dir: %s
  workers: 2
providers:
  testprovider:
    vm_count: 4
    disk_size_bytes: 8388608
    chunk_delay: 60ms
export:
  base_path: %s
  max_retries: 2
database:
  backend: etcd
  etcd:
    endpoints: [%q]
    prefix: /e2e/
    node_id: %s
    lease_ttl: 3s
`, pluginsDir, shared, endpoint, nodeID)
}

// listJobs is GET /jobs of a node, every job.
func listJobs(t *testing.T, d *daemon) []map[string]any {
	t.Helper()
	code, body, _ := d.do("GET", "/jobs?limit=1000", "")
	if code != 200 {
		t.Fatalf("GET /jobs = %d %v", code, body)
	}
	var out []map[string]any
	for _, j := range body["jobs"].([]any) {
		out = append(out, j.(map[string]any))
	}
	return out
}

// Two daemons on one etcd share the queue: jobs accepted by one run on both. node-a is killed
// -9 mid-export: once its lease expires node-b takes its jobs over, and every job completes,
// each exactly once, the killed attempts recorded as interrupted.
func TestClusterNodeKilledMidExportLosesNoJob(t *testing.T) {
	t.Parallel()
	endpoint := etcdtest.Start(t)
	shared := t.TempDir()
	a := startDaemon(t, clusterNodeConfig(endpoint, "node-a", shared))
	b := startDaemon(t, clusterNodeConfig(endpoint, "node-b", shared))

	var specs []string
	for i := range 8 {
		specs = append(specs, fmt.Sprintf(`{"vm_identifier":"vm-%03d","provider":"testprovider","export_method":"raw"}`, i%4+1))
	}
	code, body, _ := a.do("POST", "/jobs/submit", "["+strings.Join(specs, ",")+"]")
	if code != 202 {
		t.Fatalf("submit = %d %v", code, body)
	}

	// Wait until node-a runs an export, then kill it.
	var onA []string
	for deadline := time.Now().Add(time.Minute); len(onA) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("node-a never ran a job: %v", listJobs(t, b))
		}
		for _, j := range listJobs(t, b) {
			if j["node"] == "node-a" && j["status"] == "running" {
				onA = append(onA, j["job_id"].(string))
			}
		}
	}
	a.cmd.Process.Kill()
	<-a.exited

	var jobs []map[string]any
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		jobs = listJobs(t, b)
		ended := 0
		for _, j := range jobs {
			if s := j["status"]; s == "completed" || s == "failed" || s == "cancelled" {
				ended++
			}
		}
		if ended == len(jobs) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs not all ended 3 min after node-a died: %v", jobs)
		}
	}
	if len(jobs) != 8 {
		t.Fatalf("%d jobs listed, want 8", len(jobs))
	}
	byID := map[string]map[string]any{}
	for _, j := range jobs {
		byID[j["job_id"].(string)] = j
		if j["status"] != "completed" {
			t.Errorf("job %s = %s (%v)", j["job_id"], j["status"], j["error"])
		}
	}
	for _, id := range onA {
		j := byID[id]
		failures, _ := j["failures"].([]any)
		if j["node"] != "node-b" || len(failures) != 1 || !strings.Contains(fmt.Sprint(failures[0]), "interrupted") {
			t.Errorf("job %s that node-a ran: node %v, failures %v; want finished by node-b after one interrupted attempt", id, j["node"], failures)
		}
	}
}
