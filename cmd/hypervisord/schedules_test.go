package main

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

func TestSeedScheduleLifecycle(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	d := startDaemon(t, testproviderConfig+"\nexport:\n  base_path: "+base+"\n")
	code, sc, _ := d.do("POST", "/schedules/create", `{
		"name": "nightly-vm-backup", "cron": "0 2 * * *",
		"job_definition": {"vm_identifier": "vm-001", "provider": "testprovider", "export_method": "ova",
			"export_path": "`+base+`/nightly", "hyper2kvm_integration": {"enabled": true, "daemon_mode": true}}}`)
	if code != 201 || sc["next_run"] == nil || sc["id"] == "" {
		t.Fatalf("create = %d %v", code, sc)
	}
	id := sc["id"].(string)
	code, run, _ := d.do("POST", "/schedules/"+id+"/run", "")
	if code != 202 {
		t.Fatalf("run now = %d %v", code, run)
	}
	job := d.waitJob(run["job_id"].(string))
	if job["status"] != "completed" || job["schedule_id"] != id || filepath.Dir(job["export_dir"].(string)) != filepath.Join(base, "nightly") {
		t.Fatalf("scheduled job = %v", job)
	}
	_, got, _ := d.do("GET", "/schedules/"+id, "")
	if got["last_job_id"] != run["job_id"] || got["next_run"] != sc["next_run"] {
		t.Errorf("after run now: %v", got)
	}
	if _, p, _ := d.do("POST", "/schedules/"+id+"/pause", ""); p["paused"] != true {
		t.Errorf("pause: %v", p)
	}
	if _, p, _ := d.do("POST", "/schedules/"+id+"/resume", ""); p["paused"] != false {
		t.Errorf("resume: %v", p)
	}
	code, upd, _ := d.do("PUT", "/schedules/"+id, `{"name": "hourly", "cron": "@hourly", "timezone": "Europe/Berlin",
		"job_definition": {"vm_identifier": "vm-002", "provider": "testprovider"}}`)
	if code != 200 || upd["cron"] != "@hourly" {
		t.Errorf("update = %d %v", code, upd)
	}
	for _, c := range []struct {
		body, field string
	}{
		{`{"name":"x","cron":"not cron","job_definition":{"vm_identifier":"v","provider":"testprovider"}}`, "cron"},
		{`{"name":"x","cron":"@daily","job_definition":{"provider":"testprovider"}}`, "job_definition.vm_identifier"},
		{`{"name":"x","cron":"@daily","timezone":"Nowhere/Land","job_definition":{"vm_identifier":"v","provider":"testprovider"}}`, "timezone"},
	} {
		code, body, _ := d.do("POST", "/schedules/create", c.body)
		if e, _ := body["error"].(map[string]any); code != 400 || e["field"] != c.field {
			t.Errorf("%s = %d %v, want 400 naming %s", c.body, code, body, c.field)
		}
	}
	if code, _, _ := d.do("DELETE", "/schedules/"+id, ""); code != 204 {
		t.Errorf("delete = %d", code)
	}
	if code, _, _ := d.do("GET", "/schedules/"+id, ""); code != 404 {
		t.Errorf("get deleted = %d", code)
	}
}

// A policy over the simulator exports the tagged VMs only, each into its own timestamped folder
// under the policy's folder, and retention keeps one backup per VM.
func TestBackupPolicyExportsTaggedVMsAndPrunes(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	base := t.TempDir()
	d := startDaemon(t, `
providers:
  vsphere:
    simulator: true
    simulator_vms: 4
    simulator_disk_mb: 4
export:
  base_path: `+base+`
`)
	code, p, _ := d.do("POST", "/backup-policies/create", `{
		"name": "production-vms", "vm_filter": {"tags": ["production"], "datacenter": "DC0"},
		"schedule": "0 2 * * *", "retention": {"count": 1, "age_days": 30},
		"export_options": {"export_method": "vmdk", "hyper2kvm_integration": {"enabled": false}}}`)
	if code != 201 || p["provider"] != "vsphere" {
		t.Fatalf("create policy = %d %v", code, p)
	}
	id := p["id"].(string)
	for run := 0; run < 2; run++ {
		code, res, _ := d.do("POST", "/backup-policies/"+id+"/run", "")
		ids, _ := res["job_ids"].([]any)
		if code != 202 || len(ids) != 2 {
			t.Fatalf("run %d = %d %v, want the 2 production VMs", run, code, res)
		}
		for _, j := range ids {
			if job := d.waitJob(j.(string)); job["status"] != "completed" {
				t.Fatalf("backup job = %v", job)
			}
		}
	}
	root := filepath.Join(base, "policies", "production-vms")
	deadline := time.Now().Add(10 * time.Second)
	for {
		vms, _ := os.ReadDir(root)
		var names []string
		counts := map[string]int{}
		for _, vm := range vms {
			names = append(names, vm.Name())
			runs, _ := os.ReadDir(filepath.Join(root, vm.Name()))
			counts[vm.Name()] = len(runs)
		}
		sort.Strings(names)
		if len(names) == 2 && counts[names[0]] == 1 && counts[names[1]] == 1 {
			if names[0] != "DC0_C0_RP0_VM0" || names[1] != "DC0_C0_RP0_VM2" {
				t.Fatalf("backed up %v, want the production-tagged VM0 and VM2", names)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("policy folder holds %v %v, want 2 VMs with 1 backup each after retention", names, counts)
		}
		time.Sleep(100 * time.Millisecond)
	}
	_, got, _ := d.do("GET", "/backup-policies/"+id, "")
	if len(got["backups"].([]any)) != 2 || got["last_run"] == nil {
		t.Errorf("policy state = %v", got)
	}
	if code, body, _ := d.do("POST", "/backup-policies/create", `{"name":"x","schedule":"nope"}`); code != 400 {
		t.Errorf("bad policy = %d %v", code, body)
	}
}

// kill -9 while a policy's backups run: after the restart they finish, the policy records them,
// and retention still applies.
func TestPolicyRunSurvivesADaemonCrash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base := filepath.Join(dir, "exports")
	cfgPath := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfgPath, []byte(`daemon:
  address: 127.0.0.1:0
  log_format: json
  plugins_dir: `+pluginsDir+`
providers:
  testprovider:
    vm_count: 3
    disk_size_bytes: 2097152
    chunk_delay: 40ms
export:
  base_path: `+base+`
database:
  path: `+filepath.Join(dir, "hypersdk.db")+`
`), 0o600)
	d := startDaemonWithConfig(t, cfgPath)
	_, p, _ := d.do("POST", "/backup-policies/create", `{"name": "prod", "vm_filter": {"tags": ["production"]},
		"schedule": "@daily", "retention": {"count": 1}, "export_options": {"export_method": "vmdk"}}`)
	id := p["id"].(string)
	_, first, _ := d.do("POST", "/backup-policies/"+id+"/run", "")
	for _, j := range first["job_ids"].([]any) {
		d.waitJob(j.(string))
	}
	_, second, _ := d.do("POST", "/backup-policies/"+id+"/run", "")
	jobIDs := second["job_ids"].([]any)
	if len(jobIDs) != 2 {
		t.Fatalf("second run = %v", second)
	}
	time.Sleep(400 * time.Millisecond) // the backups are being written
	d.cmd.Process.Kill()
	<-d.exited

	d2 := startDaemonWithConfig(t, cfgPath)
	for _, j := range jobIDs {
		if job := d2.waitJob(j.(string)); job["status"] != "completed" {
			t.Fatalf("backup after the crash = %v", job)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, got, _ := d2.do("GET", "/backup-policies/"+id, "")
		backups := got["backups"].([]any)
		runs := 0
		for _, vm := range []string{"vm-001", "vm-002"} {
			entries, _ := os.ReadDir(filepath.Join(base, "policies", "prod", vm))
			runs += len(entries)
		}
		if len(backups) == 2 && runs == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the crash: %d backups recorded, %d folders on disk; want 2 and 2 (retention count 1)", len(backups), runs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
