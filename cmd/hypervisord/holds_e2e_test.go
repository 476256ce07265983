package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
)

// cloudDaemon starts a daemon whose test provider runs in cloud mode (a snapshot and a grant
// per export, as holds, in a state file), with room for eight exports at once. It returns the
// daemon and the state file.
func cloudDaemon(t *testing.T, settings string) (*daemon, string) {
	t.Helper()
	dir := t.TempDir()
	state := filepath.Join(dir, "cloud.json")
	cfg := filepath.Join(dir, "config.yaml")
	err := os.WriteFile(cfg, []byte(fmt.Sprintf(`
daemon:
  address: 127.0.0.1:0
  log_format: json
  plugins_dir: %s
  workers: 8
providers:
  testprovider:
    vm_count: 8
    disk_size_bytes: 2097152
    cloud_state: %s
%s
export:
  base_path: %s
  concurrent_exports: 8
  max_retries: 2
database:
  path: %s
`, pluginsDir, state, settings, filepath.Join(dir, "exports"), filepath.Join(dir, "hypersdk.db"))), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return startDaemonWithConfig(t, cfg), state
}

// submitCloudExports submits one raw export per VM, vm-001 to vm-00n, and returns their ids.
func submitCloudExports(t *testing.T, d *daemon, n int) []string {
	t.Helper()
	var specs []string
	for i := 1; i <= n; i++ {
		specs = append(specs, fmt.Sprintf(`{"vm_identifier":"vm-%03d","provider":"testprovider","export_method":"raw"}`, i))
	}
	code, body, _ := d.do("POST", "/jobs/submit", "["+strings.Join(specs, ",")+"]")
	if code != 202 {
		t.Fatalf("submit = %d %v", code, body)
	}
	var ids []string
	for _, j := range body["jobs"].([]any) {
		ids = append(ids, j.(map[string]any)["job_id"].(string))
	}
	return ids
}

// cloudCount is how many snapshots and grants the fake cloud holds.
func cloudCount(t *testing.T, state string) (snapshots, grants int) {
	t.Helper()
	st, err := fake.ReadCloudState(state)
	if err != nil {
		t.Fatal(err)
	}
	return len(st.Snapshots), len(st.Grants)
}

// waitCloud waits until the fake cloud holds want snapshots and want grants.
func waitCloud(t *testing.T, state string, want int, within time.Duration) {
	t.Helper()
	var s, g int
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if s, g = cloudCount(t, state); s == want && g == want {
			return
		}
	}
	t.Fatalf("after %s the fake cloud holds %d snapshots and %d grants, want %d of each", within, s, g, want)
}

// holdsOf returns a job's holds as the API shows them.
func holdsOf(job map[string]any) []map[string]any {
	var out []map[string]any
	list, _ := job["holds"].([]any)
	for _, h := range list {
		out = append(out, h.(map[string]any))
	}
	return out
}

// waitReleased polls the job, for at most 10 s, until it shows holds and all are released (the
// host releases them just after the job ends), and returns it as last seen.
func waitReleased(d *daemon, id string) map[string]any {
	var job map[string]any
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		_, job, _ = d.do("GET", "/jobs/query?job_id="+id, "")
		holds := holdsOf(job)
		released := len(holds) > 0
		for _, h := range holds {
			released = released && h["state"] == "released"
		}
		if released {
			break
		}
	}
	return job
}

// checkReleased fails unless the job shows holds and every one is released.
func checkReleased(t *testing.T, job map[string]any) {
	t.Helper()
	holds := holdsOf(job)
	if len(holds) == 0 {
		t.Errorf("job %s shows no holds", job["job_id"])
	}
	for _, h := range holds {
		if h["state"] != "released" || h["released_at"] == nil {
			t.Errorf("job %s: hold %v is not released", job["job_id"], h)
		}
	}
}

// A daemon killed -9 during eight running cloud exports leaves their snapshots and grants
// behind; restarted on the same store, it releases them all before the jobs run again, and
// every job ends — completed, or failed after its retries — with nothing left in the cloud.
func TestKilledDaemonLeavesNoCloudResources(t *testing.T) {
	t.Parallel()
	d, state := cloudDaemon(t, "    chunk_delay: 100ms")
	ids := submitCloudExports(t, d, 8)
	waitCloud(t, state, 8, 30*time.Second)
	for _, id := range ids {
		if _, j, _ := d.do("GET", "/jobs/query?job_id="+id, ""); j["status"] != "running" {
			t.Fatalf("job %s is %v when the daemon is killed, want running", id, j["status"])
		}
	}
	plugins := childPIDs(d.cmd.Process.Pid)
	d.cmd.Process.Kill()
	<-d.exited
	for deadline := time.Now().Add(15 * time.Second); anyAlive(plugins) && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
	}
	if s, g := cloudCount(t, state); s != 8 || g != 8 {
		t.Fatalf("the killed daemon's exports left %d snapshots and %d grants, want 8 of each for the test to mean something", s, g)
	}

	d2 := startDaemonWithConfig(t, d.configPath)
	start := time.Now()
	for _, id := range ids {
		job := d2.waitJob(id)
		failures, _ := job["failures"].([]any)
		switch {
		case job["status"] == "completed" && job["attempts"] == 2.0 && len(failures) == 1:
		case job["status"] == "failed" && job["attempts"].(float64) >= 2 && len(failures) >= 2:
		default:
			t.Errorf("job %s after the restart: %v, %v attempts, failures %v; want completed on its second attempt or failed after its retries", id, job["status"], job["attempts"], failures)
		}
		if len(failures) == 0 || !strings.Contains(failures[0].(map[string]any)["error"].(string), "interrupted") {
			t.Errorf("job %s does not record its interrupted attempt: %v", id, failures)
		}
		if len(holdsOf(job)) < 4 {
			t.Errorf("job %s shows %d holds, want the 2 its interrupted attempt left and the 2 of the next", id, len(holdsOf(job)))
		}
		// The interrupted attempt's holds stayed for the retry; the job's end releases them.
		checkReleased(t, waitReleased(d2, id))
	}
	waitCloud(t, state, 0, time.Minute-time.Since(start))
	_, caps, _ := d2.do("GET", "/capabilities", "")
	for _, p := range caps["providers"].([]any) {
		if p := p.(map[string]any); p["name"] == "testprovider" && p["unreleased_holds"] != 0.0 {
			t.Errorf("/capabilities shows %v unreleased holds for testprovider, want 0", p["unreleased_holds"])
		}
	}
}

// Cancelling eight running cloud exports (POST /jobs/cancel/{id}) ends them cancelled, and the host
// releases the snapshots and grants the provider left.
func TestCancelledCloudExportsLeaveNoCloudResources(t *testing.T) {
	t.Parallel()
	d, state := cloudDaemon(t, "    chunk_delay: 100ms")
	ids := submitCloudExports(t, d, 8)
	waitCloud(t, state, 8, 30*time.Second)
	for _, id := range ids {
		code, job, _ := d.do("POST", "/jobs/cancel/"+id, "")
		if code != 200 || job["status"] != "cancelled" {
			t.Fatalf("cancel %s = %d %v", id, code, job)
		}
	}
	waitCloud(t, state, 0, 30*time.Second)
	for _, id := range ids {
		job := waitReleased(d, id)
		if job["status"] != "cancelled" || len(holdsOf(job)) != 2 {
			t.Errorf("job %s = %v with holds %v, want cancelled with its snapshot and grant", id, job["status"], holdsOf(job))
		}
		checkReleased(t, job)
	}
}

// A hold the platform will not release shows in the job (release_failed, attempts, the error),
// in /capabilities and in /metrics, while the host keeps trying.
func TestAHoldThatCannotBeReleasedShows(t *testing.T) {
	t.Parallel()
	d, state := cloudDaemon(t, "    fail_release: true")
	id := submitCloudExports(t, d, 1)[0]
	if job := d.waitJob(id); job["status"] != "completed" {
		t.Fatalf("job = %v; a hold not released does not fail the export", job)
	}
	var holds []map[string]any
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		_, job, _ := d.do("GET", "/jobs/query?job_id="+id, "")
		if holds = holdsOf(job); len(holds) == 2 && holds[0]["release_attempts"] != nil && holds[1]["release_attempts"] != nil {
			break
		}
	}
	if len(holds) != 2 {
		t.Fatalf("job shows holds %v, want its snapshot and grant", holds)
	}
	for _, h := range holds {
		if h["state"] != "release_failed" || h["release_attempts"] == nil || h["release_attempts"].(float64) < 1 ||
			!strings.Contains(fmt.Sprint(h["last_error"]), "fail_release") {
			t.Errorf("hold = %v, want release_failed with its attempts and why", h)
		}
		if _, shown := h["data"]; shown {
			t.Errorf("hold %v shows the provider's data", h)
		}
	}
	if s, g := cloudCount(t, state); s != 1 || g != 1 {
		t.Errorf("the fake cloud holds %d snapshots and %d grants, want the 1 of each that cannot be released", s, g)
	}
	_, caps, _ := d.do("GET", "/capabilities", "")
	found := false
	for _, p := range caps["providers"].([]any) {
		if p := p.(map[string]any); p["name"] == "testprovider" {
			found = true
			if p["unreleased_holds"] != 2.0 {
				t.Errorf("/capabilities shows %v unreleased holds for testprovider, want 2", p["unreleased_holds"])
			}
			if caps, _ := p["capabilities"].([]any); !strings.Contains(fmt.Sprint(caps), "holds") {
				t.Errorf("testprovider in cloud mode declares capabilities %v, want holds among them", caps)
			}
		}
	}
	if !found {
		t.Errorf("/capabilities lists no testprovider: %v", caps["providers"])
	}
	resp, err := d.http.Get(d.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("metrics do not parse: %v", err)
	}
	got := map[string]float64{}
	if f, ok := families["hypersdk_holds_unreleased"]; ok {
		for _, m := range f.Metric {
			labels := map[string]string{}
			for _, l := range m.Label {
				labels[l.GetName()] = l.GetValue()
			}
			got[labels["provider"]+"/"+labels["kind"]] = m.Gauge.GetValue()
		}
	}
	if want := map[string]float64{"testprovider/snapshot": 1, "testprovider/grant": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		raw, _ := json.Marshal(got)
		t.Errorf("hypersdk_holds_unreleased = %s, want %v", raw, want)
	}
}
