package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A daemon killed with -9 gets no chance to stop its plugins: they notice they lost their
// parent and exit on their own, and the vSphere plugin's embedded simulator takes its files
// with it. (Not parallel: the daemon inherits TMPDIR, set for this test alone.)
func TestPluginsDoNotOutliveAKilledDaemon(t *testing.T) {
	needQemuImg(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	d := startDaemon(t, `
providers:
  vsphere:
    simulator: true
    simulator_vms: 1
    simulator_disk_mb: 4
`)
	var plugins []int
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(100 * time.Millisecond) {
		if plugins = childPIDs(d.cmd.Process.Pid); len(plugins) > 0 && len(simulatorDirs(tmp)) > 0 {
			break
		}
	}
	if len(plugins) == 0 || len(simulatorDirs(tmp)) == 0 {
		t.Fatalf("no plugin process (%v) or no simulator directory under TMPDIR", plugins)
	}
	d.cmd.Process.Kill()
	<-d.exited
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && (anyAlive(plugins) || len(simulatorDirs(tmp)) > 0) {
		time.Sleep(100 * time.Millisecond)
	}
	if anyAlive(plugins) {
		t.Errorf("plugin processes %v outlived the daemon", plugins)
	}
	if left := simulatorDirs(tmp); len(left) > 0 {
		t.Errorf("the simulator's files stayed behind: %v", left)
	}
	// The plugins' sockets live in the daemon's own directory, which the next daemon sweeps.
	if stray, _ := filepath.Glob(filepath.Join(tmp, "plugin*")); len(stray) > 0 {
		t.Errorf("plugin sockets left directly in TMPDIR: %v", stray)
	}
	before, _ := filepath.Glob(filepath.Join(tmp, "hypersdk-plugins-*"))
	d2 := startDaemon(t, testproviderConfig)
	after, _ := filepath.Glob(filepath.Join(tmp, "hypersdk-plugins-*"))
	if len(before) != 1 || len(after) != 1 || after[0] == before[0] {
		t.Errorf("socket directories: %v before the second daemon, %v after; want the dead daemon's swept", before, after)
	}
	d2.stop()
}

// childPIDs lists the children of pid, from /proc.
func childPIDs(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, field := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(field); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// anyAlive reports whether one of the processes still runs (a zombie waiting for a reaper
// counts as gone).
func anyAlive(pids []int) bool {
	for _, pid := range pids {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		if _, rest, ok := strings.Cut(string(stat), ") "); ok && !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X") {
			return true
		}
	}
	return false
}

func simulatorDirs(tmp string) []string {
	govc, _ := filepath.Glob(filepath.Join(tmp, "govcsim-*"))
	ours, _ := filepath.Glob(filepath.Join(tmp, "hypersdk-vcsim-*"))
	return append(govc, ours...)
}

// A job for a provider whose plugin cannot come up (here: its vCenter refuses connections)
// waits for it, and says so in its log with the plugin's last error; it can be cancelled.
func TestJobWaitingForAPluginSaysWhy(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `
providers:
  vsphere:
    host: "http://127.0.0.1:1/sdk"
    username: u
    password: p
`)
	_, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier": "vm-1", "provider": "vsphere", "export_method": "vmdk"}`)
	id, _ := body["job_id"].(string)
	if id == "" {
		t.Fatalf("submit = %v", body)
	}
	var logs string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if logs = d.text("/jobs/logs/" + id); strings.Contains(logs, "waiting for the provider plugin to come back") {
			break
		}
	}
	if !strings.Contains(logs, "waiting for the provider plugin to come back") || !strings.Contains(logs, "127.0.0.1:1") {
		t.Fatalf("job log does not say what it waits for:\n%s", logs)
	}
	d.do("POST", "/jobs/cancel/"+id, "")
	if job := d.waitJob(id); job["status"] != "cancelled" {
		t.Fatalf("job = %v", job)
	}
}

// A daemon killed -9 in the middle of an export with shutdown_vm must not leave the VM powered
// off: the plugin sees its host gone, cancels the export, and exits only after the provider's
// deferred power-on (which takes its time, as on a real platform) has run.
func TestAKilledDaemonLeavesNoVMPoweredOff(t *testing.T) {
	t.Parallel()
	powerLog := filepath.Join(t.TempDir(), "power.log")
	d := startDaemon(t, "providers:\n  testprovider:\n    vm_count: 1\n    chunk_delay: 200ms\n    power_log: "+powerLog+"\n"+
		"export:\n  base_path: "+t.TempDir()+"\n")
	_, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier": "vm-001", "provider": "testprovider", "export_method": "vmdk", "options": {"shutdown_vm": true}}`)
	id := body["job_id"].(string)
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		if b, _ := os.ReadFile(powerLog); strings.Contains(string(b), "off vm-001") {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatalf("job %s never powered the VM off", id)
		}
	}
	plugins := childPIDs(d.cmd.Process.Pid)
	d.cmd.Process.Kill()
	<-d.exited
	for deadline := time.Now().Add(30 * time.Second); anyAlive(plugins) && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	if anyAlive(plugins) {
		t.Fatalf("plugin processes %v outlived the daemon", plugins)
	}
	if b, _ := os.ReadFile(powerLog); string(b) != "off vm-001\non vm-001\n" {
		t.Fatalf("power changes = %q, want the VM powered off and back on", b)
	}
}
