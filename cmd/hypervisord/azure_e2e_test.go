package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// submitAzureExport submits an export of the stand-in's VM (raw, plus extra JSON fields) and
// returns the job's id.
func submitAzureExport(t *testing.T, d *daemon, s *azureStandin, path, extra string) string {
	t.Helper()
	code, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier":"`+s.VMID+`","provider":"azure","export_method":"raw","export_path":"`+path+`"`+extra+`}`)
	if code != 202 {
		t.Fatalf("submit = %d %v", code, body)
	}
	return body["job_id"].(string)
}

// azureRaw is the raw disk a completed job exported.
func azureRaw(t *testing.T, d *daemon, s *azureStandin, job map[string]any) string {
	t.Helper()
	if job["status"] != "completed" {
		t.Fatalf("job = %v\nlogs:\n%s", job, d.text("/jobs/logs/"+job["job_id"].(string)))
	}
	raws, _ := filepath.Glob(filepath.Join(job["export_dir"].(string), "*.raw"))
	if len(raws) != 1 {
		t.Fatalf("export directory holds raw disks %v, want the VM's one", raws)
	}
	return raws[0]
}

// The daemon killed -9 mid-download leaves the attempt's snapshot and its open grant in the
// subscription. Restarted on the same store, it queues the job again with those holds (they are
// the retry's to resume on); the next attempt completes with the disk's bytes, and when the job
// ends the grant is revoked and the snapshot deleted: nothing is left behind.
func TestAzureKilledDaemonReleasesSnapshotAndGrant(t *testing.T) {
	t.Parallel()
	plugins, standin := azureTools(t)
	s, d, id := killAzureDaemonMidDownload(t, plugins, standin, 2)
	d2 := startDaemonWithConfig(t, d.configPath)
	job := d2.waitJob(id)
	sameFile(t, azureRaw(t, d2, s, job), s.Image)
	checkReleased(t, job)
	s.waitNothingLeft(t)
	failures, _ := job["failures"].([]any)
	if len(failures) == 0 || !strings.Contains(failures[0].(map[string]any)["error"].(string), "interrupted") {
		t.Errorf("the job does not record its interrupted attempt: %v", failures)
	}
	kinds := map[string]int{}
	for _, h := range holdsOf(job) {
		kinds[fmt.Sprint(h["kind"])]++
	}
	// The snapshot's name comes from the job and the disk: both attempts' holds may be one record.
	if kinds["snapshot"] == 0 || kinds["grant"] == 0 || job["attempts"] != 2.0 {
		t.Errorf("job shows holds %v after %v attempts, want a snapshot and a grant, and 2 attempts (the interrupted one and the next)", kinds, job["attempts"])
	}
}

// killAzureDaemonMidDownload starts a stand-in and a daemon with export.max_retries retries,
// submits a raw export and kills the daemon (and its plugin) -9 while the disk downloads; it
// checks the attempt's snapshot and open grant are left in the subscription.
func killAzureDaemonMidDownload(t *testing.T, plugins, standin string, retries int) (*azureStandin, *daemon, string) {
	t.Helper()
	// 32 allocated MiB read 1 MiB at a time, two at once, 150 ms each: about 2.4 s of download.
	s := startAzureStandin(t, standin, "-disk-mb", "64", "-latency", "150ms")
	d := azureDaemon(t, plugins, s, retries, "    download_workers: 2", "")
	id := submitAzureExport(t, d, s, "crash", "")
	s.waitReads(t, 6, time.Minute)
	if _, j, _ := d.do("GET", "/jobs/query?job_id="+id, ""); j["status"] != "running" {
		t.Fatalf("job %s is %v mid-download, want running", id, j["status"])
	}
	kids := childPIDs(d.cmd.Process.Pid)
	d.cmd.Process.Kill()
	<-d.exited
	for _, pid := range kids { // go-plugin's child outlives a SIGKILLed host only until it notices
		syscall.Kill(pid, syscall.SIGKILL)
	}
	for deadline := time.Now().Add(15 * time.Second); anyAlive(kids) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	before := s.state(t)
	if len(before.Snapshots) != 1 || len(before.Grants) != 1 {
		t.Fatalf("the killed daemon's export left snapshots %v and grants %v, want its one of each", before.Snapshots, before.Grants)
	}
	return s, d, id
}

// The daemon killed -9 mid-download on a job with no retry left: restarted, it fails the job
// and, at start-up, revokes the grant and deletes the snapshot the interrupted attempt left.
func TestAzureKilledDaemonWithNoRetryLeftReleasesAtStart(t *testing.T) {
	t.Parallel()
	plugins, standin := azureTools(t)
	s, d, id := killAzureDaemonMidDownload(t, plugins, standin, 0)
	reads := s.reads(t)
	d2 := startDaemonWithConfig(t, d.configPath)
	job := d2.waitJob(id)
	if job["status"] != "failed" || !strings.Contains(fmt.Sprint(job["error"]), "interrupted") {
		t.Fatalf("job = %v %v, want failed as interrupted with no attempt left", job["status"], job["error"])
	}
	s.waitNothingLeft(t)
	// The job's record says so once the daemon has stored the releases.
	checkReleased(t, waitReleased(d2, id))
	if after := s.reads(t); after != reads {
		t.Errorf("%d ranged reads after the restart, want none: the job has no attempt left", after-reads)
	}
}

// The seed's Pattern 1 from Azure: one job exports the VM's managed disk (snapshot, grant,
// allocated ranges), converts it and defines the VM in libvirt; the domain's disk holds the
// managed disk's bytes, and the snapshot and grant are gone.
func TestAzurePatternOne(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	needLibvirt(t)
	plugins, standin := azureTools(t)
	name := fmt.Sprintf("az%d-%d", os.Getpid(), vmPrefixes.Add(1))
	s := startAzureStandin(t, standin, "-name", name, "-disk-mb", "16")
	d := azureDaemon(t, plugins, s, 2, "", "libvirt:\n  domain_type: qemu\n  nvram_dir: "+filepath.Join(t.TempDir(), "nvram")+"\n")
	undefineLater(t, name)
	id := submitAzureExport(t, d, s, "p1", `, "hyper2kvm_integration": {"enabled": true, "auto_convert": true, "daemon_mode": false},
		"import": {"network": "`+testNetwork+`", "memory_mb": 256, "vcpus": 1}`)
	job := d.waitJob(id)
	sameFile(t, azureRaw(t, d, s, job), s.Image)
	checkImportedDomain(t, job, name, s.Image)
	checkReleased(t, job)
	s.waitNothingLeft(t)
}
