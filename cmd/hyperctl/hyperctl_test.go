package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// hyperctl is driven as a process against a real hypervisord with the SDK's test provider.
var hyperctlBin, daemonBin, pluginsDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hyperctl-test-")
	if err != nil {
		panic(err)
	}
	hyperctlBin, daemonBin, pluginsDir = filepath.Join(dir, "hyperctl"), filepath.Join(dir, "hypervisord"), filepath.Join(dir, "plugins.d")
	for out, pkg := range map[string]string{hyperctlBin: ".", daemonBin: "../hypervisord", filepath.Join(pluginsDir, "hypersdk-provider-testprovider"): "../../sdk/examples/testprovider"} {
		cmd := exec.Command("go", "build", "-o", out, ".")
		cmd.Dir = pkg
		if msg, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, msg)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startDaemon runs hypervisord on a free port and returns its URL; settings are extra lines of
// the test provider's section ("chunk_delay: 1s").
func startDaemon(t *testing.T, settings ...string) string {
	t.Helper()
	return startDaemonWith(t, "", settings...)
}

// startDaemonWith is startDaemon with extra top-level sections of the config ("auth: …").
func startDaemonWith(t *testing.T, extra string, settings ...string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`daemon:
  address: 127.0.0.1:0
  log_format: json
  plugins_dir: %s
  webhook_allow_loopback: true
providers:
  testprovider:
    faults: true
%s
export:
  base_path: %s
  max_retries: 0
database:
  path: %s
%s`, pluginsDir, providerLines(settings), filepath.Join(dir, "exports"), filepath.Join(dir, "db"), extra)
	path := filepath.Join(dir, "config.yaml")
	os.WriteFile(path, []byte(cfg), 0o600)
	cmd := exec.Command(daemonBin, "--config", path)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	sc := bufio.NewScanner(stderr)
	deadline := time.After(30 * time.Second)
	found := make(chan string, 1)
	go func() {
		for sc.Scan() {
			var e struct {
				Msg  string `json:"@message"`
				Addr string `json:"address"`
			}
			if json.Unmarshal(sc.Bytes(), &e) == nil && e.Msg == "listening" {
				found <- "http://" + e.Addr
			}
		}
	}()
	select {
	case u := <-found:
		return u
	case <-deadline:
		t.Fatal("daemon did not start")
	}
	return ""
}

type result struct {
	code           int
	stdout, stderr string
}

func hyperctl(t *testing.T, server string, args ...string) result {
	t.Helper()
	cmd := exec.Command(hyperctlBin, args...)
	cmd.Env = append(os.Environ(), "HYPERCTL_SERVER="+server)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

func TestSeedWorkflowWithHyperctlAlone(t *testing.T) {
	t.Parallel()
	server := startDaemon(t)
	scheduleFile := filepath.Join(t.TempDir(), "nightly.yaml")
	os.WriteFile(scheduleFile, []byte("name: nightly-vm-backup\ncron: \"0 2 * * *\"\njob_definition:\n  vm_identifier: vm-002\n  provider: testprovider\n  export_method: ova\n"), 0o644)

	cases := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"health", []string{"health"}, 0, "healthy", ""},
		{"capabilities", []string{"capabilities"}, 0, "testprovider", ""},
		{"nodes of a single daemon", []string{"nodes", "-o", "json"}, 0, `"node_id": ""`, ""},
		{"nodes table", []string{"nodes"}, 0, "NODE", ""},
		{"vms list json", []string{"vms", "list", "--provider", "testprovider", "--status", "poweredOn", "-o", "json"}, 0, `"vm-001"`, ""},
		{"vms list table", []string{"vms", "list", "--provider", "testprovider", "--tag", "fault"}, 0, "vm-panic", ""},
		{"vms info", []string{"vms", "info", "vm-001", "--provider", "testprovider", "-o", "yaml"}, 0, "memory_mb: 2048", ""},
		{"vms list without provider", []string{"vms", "list"}, 2, "", "required flag"},
		{"submit and watch", []string{"jobs", "submit", "--vm", "vm-001", "--provider", "testprovider", "--method", "vmdk", "--watch"}, 0, "completed", ""},
		{"watched job fails", []string{"jobs", "submit", "--vm", "vm-exit", "--provider", "testprovider", "-w"}, 1, "", "job failed"},
		{"refused submit is one line", []string{"jobs", "submit", "--vm", "x", "--provider", "aws"}, 1, "", "400 invalid_field (provider)"},
		{"jobs list", []string{"jobs", "list", "--status", "completed"}, 0, "JOB_ID", ""},
		{"prune keeps what database.job_retention keeps", []string{"jobs", "prune"}, 0, "0        720h0m0s", ""},
		{"prune with a negative age", []string{"jobs", "prune", "--older-than", "-1h"}, 2, "", "must not be negative"},
		{"schedule from a YAML file", []string{"schedules", "create", "-f", scheduleFile}, 0, "nightly-vm-backup", ""},
		{"schedules list", []string{"schedules", "list"}, 0, "0 2 * * *", ""},
		{"webhook add shows its secret once", []string{"webhooks", "add", "--url", "http://127.0.0.1:9/hook", "--event", "job.failed"}, 0, "SECRET", ""},
		{"bad output format", []string{"health", "-o", "xml"}, 2, "", "--output must be"},
		{"convert takes -o like every command", []string{"convert", "--source", "/nonexistent.ova", "--output-path", "x", "-o", "json"}, 1, "", "source_path"},
		{"unknown command", []string{"frobnicate"}, 2, "", "unknown command"},
	}
	for _, c := range cases {
		r := hyperctl(t, server, c.args...)
		if r.code != c.code || !strings.Contains(r.stdout, c.stdout) || !strings.Contains(r.stderr, c.stderr) {
			t.Errorf("%s: hyperctl %v = exit %d\nstdout: %s\nstderr: %s\nwant exit %d, stdout with %q, stderr with %q",
				c.name, c.args, r.code, r.stdout, r.stderr, c.code, c.stdout, c.stderr)
		}
		if c.code != 0 && strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 && !strings.Contains(c.stderr, "required") {
			t.Errorf("%s: error is not one line: %q", c.name, r.stderr)
		}
	}

	var schedules struct {
		Schedules []struct {
			ID string `json:"id"`
		} `json:"schedules"`
	}
	json.Unmarshal([]byte(hyperctl(t, server, "schedules", "list", "-o", "json").stdout), &schedules)
	if len(schedules.Schedules) != 1 {
		t.Fatalf("schedules: %+v", schedules)
	}
	sid := schedules.Schedules[0].ID
	for _, c := range []struct {
		action string
		row    *regexp.Regexp // the table's header and row
	}{
		{"run", regexp.MustCompile(`^JOB_ID\s+STATUS\s*\njob-[0-9a-f]{12}\s+pending`)},
		{"pause", regexp.MustCompile(`^ID\s+NAME.*\n` + sid + `\s+nightly-vm-backup\s+0 2 \* \* \*\s+true`)},
	} {
		if r := hyperctl(t, server, "schedules", c.action, sid); r.code != 0 || !c.row.MatchString(r.stdout) {
			t.Errorf("schedules %s: exit %d\n%s%s\nwant a table matching %s", c.action, r.code, r.stdout, r.stderr, c.row)
		}
	}

	r := hyperctl(t, server, "jobs", "list", "-o", "json")
	var list struct {
		Jobs []struct {
			ID     string `json:"job_id"`
			Status string `json:"status"`
		} `json:"jobs"`
	}
	json.Unmarshal([]byte(r.stdout), &list)
	var done string
	for _, j := range list.Jobs {
		if j.Status == "completed" {
			done = j.ID
		}
	}
	if logs := hyperctl(t, server, "jobs", "logs", done); !strings.Contains(logs.stdout, "job completed") {
		t.Errorf("jobs logs %s: %v", done, logs)
	}
	plan := regexp.MustCompile(`^STEP\s+STATE.*\nexport\s+done\s.*\nverify\s+done\s.*\npackage\s+done\s`)
	if steps := hyperctl(t, server, "jobs", "steps", done); steps.code != 0 || !plan.MatchString(steps.stdout) {
		t.Errorf("jobs steps %s: %+v", done, steps)
	}
	if q := hyperctl(t, server, "jobs", "cancel", done); q.code != 1 || !strings.Contains(q.stderr, "409") {
		t.Errorf("cancelling a finished job: %+v", q)
	}

	r = hyperctl(t, server, "jobs", "prune", "--older-than", "0s", "-o", "json")
	var pruned struct {
		Removed int `json:"removed"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &pruned); err != nil || r.code != 0 || pruned.Removed < 2 {
		t.Errorf("jobs prune --older-than 0s = %+v; want at least the 2 ended jobs removed", r)
	}
	if q := hyperctl(t, server, "jobs", "query", done); q.code != 1 || !strings.Contains(q.stderr, "404") {
		t.Errorf("querying a pruned job: %+v", q)
	}
	if logs := hyperctl(t, server, "jobs", "logs", done); logs.code != 1 || !strings.Contains(logs.stderr, "404") {
		t.Errorf("the log of a pruned job: %+v", logs)
	}
}

// The table of a submit names the job it accepted, one row per job, single or batch.
func TestJobsSubmitTableShowsTheJobID(t *testing.T) {
	t.Parallel()
	server := startDaemon(t)
	batch := filepath.Join(t.TempDir(), "batch.json")
	os.WriteFile(batch, []byte(`[{"vm_identifier":"vm-001","provider":"testprovider"},{"vm_identifier":"vm-002","provider":"testprovider"}]`), 0o600)
	row := regexp.MustCompile(`(?m)^job-[0-9a-f]{12}\s+pending\s+\d{4}-`)
	for _, c := range []struct {
		name string
		args []string
		rows int
	}{
		{"one job", []string{"jobs", "submit", "--vm", "vm-001", "--provider", "testprovider"}, 1},
		{"a batch", []string{"jobs", "submit", "-f", batch}, 2},
	} {
		r := hyperctl(t, server, c.args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "JOB_ID") || len(row.FindAllString(r.stdout, -1)) != c.rows {
			t.Errorf("%s: hyperctl %v = exit %d\n%s%s\nwant a header and %d row(s) with the job id", c.name, c.args, r.code, r.stdout, r.stderr, c.rows)
		}
	}
}

func TestUnreachableDaemonExitsThree(t *testing.T) {
	t.Parallel()
	r := hyperctl(t, "http://127.0.0.1:1", "health", "--timeout", "2s")
	if r.code != 3 || !strings.Contains(r.stderr, "cannot reach hypervisord") {
		t.Fatalf("= %+v", r)
	}
}
