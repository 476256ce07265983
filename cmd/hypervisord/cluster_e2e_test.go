package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hypersdk/hypersdk/core/store/etcdstore/etcdtest"
)

// clusterNodeConfig is one node of a cluster on etcd: the test provider exporting slowly, the
// export directory shared by every node (as NFS would be).
func clusterNodeConfig(endpoints []string, nodeID, shared string) string {
	quoted := make([]string, len(endpoints))
	for i, e := range endpoints {
		quoted[i] = fmt.Sprintf("%q", e)
	}
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
    endpoints: [%s]
    prefix: /e2e/
    node_id: %s
    lease_ttl: 3s
`, pluginsDir, shared, strings.Join(quoted, ", "), nodeID)
}

// listJobs is GET /jobs of a node, every job.
func listJobs(t testing.TB, d *daemon) []map[string]any {
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

// watchCompletions follows d's WebSocket and reports whether it carried a job's completion.
func watchCompletions(t *testing.T, d *daemon) func(jobID string) bool {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ws, _, err := websocket.Dial(ctx, strings.Replace(d.url, "http", "ws", 1)+"/websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	var mu sync.Mutex
	completed := map[string]bool{}
	go func() {
		for {
			_, msg, err := ws.Read(ctx)
			if err != nil {
				return
			}
			var ev map[string]any
			if json.Unmarshal(msg, &ev) == nil && ev["event"] == "job.completed" {
				mu.Lock()
				completed[fmt.Sprint(ev["job_id"])] = true
				mu.Unlock()
			}
		}
	}()
	return func(id string) bool {
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			mu.Lock()
			ok := completed[id]
			mu.Unlock()
			if ok {
				return true
			}
		}
		return false
	}
}

// submitBatch submits n raw exports of the test provider's VMs to d.
func submitBatch(t testing.TB, d *daemon, n int) {
	t.Helper()
	var specs []string
	for i := range n {
		specs = append(specs, fmt.Sprintf(`{"vm_identifier":"vm-%03d","provider":"testprovider","export_method":"raw"}`, i%4+1))
	}
	if code, body, _ := d.do("POST", "/jobs/submit", "["+strings.Join(specs, ",")+"]"); code != 202 {
		t.Fatalf("submit = %d %v", code, body)
	}
}

// runningOn waits until node runs a job (as d lists them) and returns the jobs it runs.
func runningOn(t *testing.T, d *daemon, node string) []string {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var ids []string
		for _, j := range listJobs(t, d) {
			if j["node"] == node && j["status"] == "running" {
				ids = append(ids, j["job_id"].(string))
			}
		}
		if len(ids) > 0 {
			return ids
		}
	}
	t.Fatalf("%s never ran a job: %v", node, listJobs(t, d))
	return nil
}

// allEnded waits until every job d lists has ended, and returns them.
func allEnded(t testing.TB, d *daemon, want int) map[string]map[string]any {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		jobs := listJobs(t, d)
		byID := map[string]map[string]any{}
		for _, j := range jobs {
			if s := j["status"]; s == "completed" || s == "failed" || s == "cancelled" {
				byID[j["job_id"].(string)] = j
			}
		}
		if len(byID) == len(jobs) && len(jobs) == want {
			return byID
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs ended after 3 min: %v", len(byID), want, jobs)
		}
	}
}

// Three daemons on a three-member etcd cluster share the queue: jobs accepted by one run on
// all. node-a is killed -9 mid-export: once its lease expires the others take its jobs over,
// and every job completes, the killed attempts recorded as interrupted.
func TestClusterNodeKilledMidExportLosesNoJob(t *testing.T) {
	t.Parallel()
	endpoints := etcdtest.Endpoints(etcdtest.StartCluster(t, 3))
	shared := t.TempDir()
	a := startDaemon(t, clusterNodeConfig(endpoints, "node-a", shared))
	b := startDaemon(t, clusterNodeConfig(endpoints, "node-b", shared))
	c := startDaemon(t, clusterNodeConfig(endpoints, "node-c", shared))
	completedSeenOnC := watchCompletions(t, c)
	submitBatch(t, a, 60)
	onA := runningOn(t, b, "node-a")
	a.cmd.Process.Kill()
	<-a.exited

	byID := allEnded(t, c, 60)
	ranOn := map[any]int{}
	for id, j := range byID {
		ranOn[j["node"]]++
		if j["status"] != "completed" {
			t.Errorf("job %s = %s (%v)", id, j["status"], j["error"])
		}
	}
	for _, id := range onA {
		j := byID[id]
		failures, _ := j["failures"].([]any)
		if j["node"] == "node-a" || len(failures) != 1 || !strings.Contains(fmt.Sprint(failures[0]), "interrupted") {
			t.Errorf("job %s that node-a ran: node %v, failures %v; want finished by another node after one interrupted attempt", id, j["node"], failures)
		}
	}
	// node-c's WebSocket clients see the jobs every node runs end.
	for id, j := range byID {
		if !completedSeenOnC(id) {
			t.Errorf("node-c's WebSocket never saw job %s (run by %v) complete", id, j["node"])
		}
	}
	if ranOn["node-b"] == 0 || ranOn["node-c"] == 0 {
		t.Errorf("jobs by node: %v; want node-b and node-c both to have run some", ranOn)
	}
	code, nodes, _ := b.do("GET", "/cluster/nodes", "")
	if code != 200 || nodes["node_id"] != "node-b" || len(nodes["nodes"].([]any)) != 2 {
		t.Errorf("GET /cluster/nodes = %d %v; want node-b and node-c alive", code, nodes)
	}
	metrics := b.text("/metrics")
	for _, want := range []string{`hypersdk_cluster_node{node="node-b"} 1`, `hypersdk_cluster_node_running_jobs{node="node-c"} 0`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// The etcd member that leads the raft is stopped mid-run: the daemons' clients move to the
// other members, and every job completes.
func TestClusterSurvivesTheEtcdLeadersDeath(t *testing.T) {
	t.Parallel()
	members := etcdtest.StartCluster(t, 3)
	endpoints := etcdtest.Endpoints(members)
	shared := t.TempDir()
	a := startDaemon(t, clusterNodeConfig(endpoints, "node-a", shared))
	b := startDaemon(t, clusterNodeConfig(endpoints, "node-b", shared))
	submitBatch(t, a, 6)
	runningOn(t, b, "node-a")
	var leader *etcdtest.Member
	for _, m := range members {
		if m.IsLeader() {
			leader = m
		}
	}
	if leader == nil {
		t.Fatal("no etcd member leads")
	}
	leader.Stop() // the raft elects another leader among the two left
	for id, j := range allEnded(t, b, 6) {
		if j["status"] != "completed" {
			t.Errorf("job %s = %s (%v)", id, j["status"], j["error"])
		}
	}
	if code, _, _ := a.do("GET", "/cluster/nodes", ""); code != 200 {
		t.Errorf("node-a after the etcd leader died: GET /cluster/nodes = %d", code)
	}
}

// A node whose export.base_path is not the folder the live nodes use is refused at start-up,
// naming the key (exit 2): a job it took over would not find the disks written so far.
func TestClusterRefusesANodeWithItsOwnExportFolder(t *testing.T) {
	t.Parallel()
	endpoints := []string{etcdtest.Start(t)}
	startDaemon(t, clusterNodeConfig(endpoints, "node-a", t.TempDir()))
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte(clusterNodeConfig(endpoints, "node-b", t.TempDir())), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"--config", cfg}, &stdout, &stderr)
	if code != exitConfig || !strings.Contains(stderr.String(), "export.base_path") || !strings.Contains(stderr.String(), "node-a") {
		t.Errorf("node-b with its own export folder: exit %d, stderr %q; want exit 2 naming export.base_path and node-a", code, stderr.String())
	}
}

// export.source_budgets holds across nodes: with a budget of 1 for the test provider, two
// nodes with two workers each never export from it at once, and every job completes.
func TestClusterSourceBudgetHoldsAcrossNodes(t *testing.T) {
	t.Parallel()
	endpoints := []string{etcdtest.Start(t)}
	shared := t.TempDir()
	withBudget := func(node string) string {
		// Exports of a few seconds: the progress each records shows it exporting.
		cfg := strings.Replace(clusterNodeConfig(endpoints, node, shared), "disk_size_bytes: 8388608", "disk_size_bytes: 4194304", 1)
		return strings.Replace(cfg, "  max_retries: 2\n", "  max_retries: 2\n  source_budgets:\n    testprovider: 1\n", 1)
	}
	a := startDaemon(t, withBudget("node-a"))
	startDaemon(t, withBudget("node-b"))
	submitBatch(t, a, 3)
	peak, ended := 0, 0
	for deadline := time.Now().Add(3 * time.Minute); ended < 3; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("jobs not done: %v", listJobs(t, a))
		}
		exporting := 0
		ended = 0
		for _, j := range listJobs(t, a) {
			switch pct, _ := j["percentage"].(float64); {
			case j["status"] == "completed" || j["status"] == "failed":
				ended++
			case j["status"] == "running" && pct > 0 && pct < 100:
				exporting++
			}
		}
		peak = max(peak, exporting)
	}
	if peak != 1 {
		t.Errorf("at most %d exports ran at once, want 1 (export.source_budgets.testprovider)", peak)
	}
	for id, j := range allEnded(t, a, 3) {
		if j["status"] != "completed" {
			t.Errorf("job %s = %s (%v)", id, j["status"], j["error"])
		}
	}
}
