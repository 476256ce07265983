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

// The seed's Pattern 1 from Hyper-V: one job checkpoints the VM, has the host export the
// checkpoint into the job's folder on the share, reads the VHDX over SMB3, converts it and
// defines the VM in libvirt; the domain's disk holds the VM's disk bytes, and the checkpoint
// and the export folder are gone.
func TestHypervPatternOne(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	needLibvirt(t)
	plugins, standin := hypervTools(t)
	name := fmt.Sprintf("hv%d-%d", os.Getpid(), vmPrefixes.Add(1))
	s := startHypervStandin(t, standin, "-name", name, "-disk-mb", "16")
	d := hypervDaemon(t, plugins, s, 2, "", "libvirt:\n  domain_type: qemu\n  nvram_dir: "+filepath.Join(t.TempDir(), "nvram")+"\n")
	undefineLater(t, name)
	id := submitHypervExport(t, d, s, "p1", `, "hyper2kvm_integration": {"enabled": true, "auto_convert": true, "daemon_mode": false},
		"import": {"network": "`+testNetwork+`", "memory_mb": 256, "vcpus": 1}`)
	job := d.waitJob(id)
	if job["status"] != "completed" {
		t.Fatalf("job = %v\nlogs:\n%s", job, d.text("/jobs/logs/"+id))
	}
	checkImportedDomain(t, job, name, s.Image)
	checkReleased(t, job)
	s.waitNothingLeft(t)
}

// killHypervDaemonMidCopy starts a stand-in and a daemon with export.max_retries retries,
// submits a raw export and kills the daemon (and its plugin) -9 while the VHDX is read over
// SMB; it checks the attempt's checkpoint and export folder are left on the host.
func killHypervDaemonMidCopy(t *testing.T, retries int) (*hypervStandin, *daemon, string) {
	t.Helper()
	plugins, standin := hypervTools(t)
	// 64 MiB at 16 MiB/s through the share: about 4 s of copy.
	s := startHypervStandin(t, standin, "-disk-mb", "64", "-smb-rate", fmt.Sprint(16<<20))
	d := hypervDaemon(t, plugins, s, retries, "", "")
	id := submitHypervExport(t, d, s, "crash", "")
	s.waitSMBBytes(t, 8<<20, time.Minute)
	if _, j, _ := d.do("GET", "/jobs/query?job_id="+id, ""); j["status"] != "running" {
		t.Fatalf("job %s is %v mid-copy, want running", id, j["status"])
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
	if len(before.Checkpoints) != 1 || len(before.Folders) != 1 || strings.Contains(strings.Join(before.Scripts, ","), "remove_") {
		t.Fatalf("the killed daemon's export left checkpoints %v and folders %v after scripts %v; want its one of each, nothing removed yet", before.Checkpoints, before.Folders, before.Scripts)
	}
	return s, d, id
}

// The daemon killed -9 while the VHDX is read over SMB, on a job with no retry left: restarted
// on the same store, it fails the job and at start-up releases what the interrupted attempt
// left on the host — the removal script for the checkpoint is sent and the export folder goes.
func TestHypervKilledDaemonRemovesCheckpointAndFolder(t *testing.T) {
	t.Parallel()
	s, d, id := killHypervDaemonMidCopy(t, 0)
	d2 := startDaemonWithConfig(t, d.configPath)
	job := d2.waitJob(id)
	if job["status"] != "failed" || !strings.Contains(fmt.Sprint(job["error"]), "interrupted") {
		t.Fatalf("job = %v %v, want failed as interrupted with no attempt left", job["status"], job["error"])
	}
	s.waitNothingLeft(t)
	checkReleased(t, waitReleased(d2, id)) // released at start-up, just after the job was failed
}

// The daemon killed -9 mid-copy with retries left: restarted, it runs the job again with the
// interrupted attempt's holds, and the retry resumes on its checkpoint and its export job (the
// host makes no second of either); the job completes with the VM's disk bytes and nothing is
// left on the host.
func TestHypervKilledDaemonResumesOnItsCheckpoint(t *testing.T) {
	t.Parallel()
	s, d, id := killHypervDaemonMidCopy(t, 2)
	d2 := startDaemonWithConfig(t, d.configPath)
	job := d2.waitJob(id)
	if job["status"] != "completed" {
		t.Fatalf("job = %v\nlogs:\n%s", job, d2.text("/jobs/logs/"+id))
	}
	disks, _ := filepath.Glob(filepath.Join(job["export_dir"].(string), "*.raw"))
	if len(disks) != 1 {
		t.Fatalf("export directory holds raw disks %v, want the VM's one", disks)
	}
	sameFile(t, disks[0], s.Image)
	s.waitNothingLeft(t)
	checkReleased(t, job)
	if made := s.state(t).Made; made["checkpoint"] != 1 || made["export"] != 1 {
		t.Errorf("the host made %v; want one checkpoint and one export job, resumed on by the retry", made)
	}
}
