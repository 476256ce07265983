package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// blockReads splits the stand-in's GetSnapshotBlock counts by snapshot: snapshot → block
// index → requests.
func blockReads(c ebsCounts) map[string]map[int]int {
	out := map[string]map[int]int{}
	for k, n := range c.Gets {
		snap, idx, _ := strings.Cut(k, "/")
		i, err := strconv.Atoi(idx)
		if err != nil {
			continue
		}
		if out[snap] == nil {
			out[snap] = map[int]int{}
		}
		out[snap][i] = n
	}
	return out
}

// submitAWSExport submits a raw export of the stand-in's instance and waits until the
// download has read `after` blocks.
func submitAWSExport(t *testing.T, d *daemon, s *awsStandin, after int) string {
	t.Helper()
	code, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier":"`+s.InstanceID+`","provider":"aws","export_method":"raw","export_path":"ec2"}`)
	if code != 202 {
		t.Fatalf("submit = %d %v", code, body)
	}
	id := body["job_id"].(string)
	s.waitGets(t, after, time.Minute)
	if _, j, _ := d.do("GET", "/jobs/query?job_id="+id, ""); j["status"] != "running" {
		t.Fatalf("job %s is %v mid-download, want running", id, j["status"])
	}
	return id
}

// checkAWSExport checks the completed job's disk against the stand-in's image byte for byte,
// its holds released, and no snapshot left in the account.
func checkAWSExport(t *testing.T, d *daemon, s *awsStandin, job map[string]any) {
	t.Helper()
	if job["status"] != "completed" {
		t.Fatalf("job = %v\nlogs:\n%s", job, d.text("/jobs/logs/"+job["job_id"].(string)))
	}
	raw := filepath.Join(job["export_dir"].(string), s.InstanceID+"-disk0.raw")
	sameFile(t, raw, s.Image)
	checkReleased(t, job)
	var left []string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if left = s.snapshots(t); len(left) == 0 {
			return
		}
	}
	t.Errorf("snapshots left in the account: %v", left)
}

// The provider plugin killed -9 mid-download: the daemon runs the job's next attempt with the
// resume token the plugin stored, on the same snapshots, and no block below the token's
// watermark is read again; the disk equals the volume and the snapshots are deleted at the end.
func TestAWSExportResumesAfterThePluginIsKilled(t *testing.T) {
	t.Parallel()
	plugins, standin := awsTools(t)
	// 600 blocks, two at a time, 20 ms each: about 6 s of download, checkpointed every second.
	s := startAWSStandin(t, standin, "-blocks", "600", "-latency", "20ms")
	d := awsDaemon(t, plugins, s, "    download_workers: 2")
	id := submitAWSExport(t, d, s, 300)
	kids := childPIDs(d.cmd.Process.Pid)
	if len(kids) == 0 {
		t.Fatal("the daemon runs no plugin process")
	}
	for _, pid := range kids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	for deadline := time.Now().Add(10 * time.Second); anyAlive(kids) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	first := blockReads(s.counts(t))
	job := d.waitJob(id)
	checkAWSExport(t, d, s, job)
	if job["attempts"] != 2.0 {
		t.Errorf("attempts = %v, want 2 (the killed plugin's and the resumed one)", job["attempts"])
	}
	checkResumed(t, s, first)
}

// checkResumed checks that the job's next attempt resumed on the token's snapshot: first is
// what was read before the interruption; every block below the lowest one read again was read
// exactly once, and every block of the volume was read.
func checkResumed(t *testing.T, s *awsStandin, first map[string]map[int]int) {
	t.Helper()
	all := blockReads(s.counts(t))
	if len(first) != 1 || len(all) != 1 {
		t.Fatalf("blocks were read from %d snapshots before the kill and %d in all, want the same one: the retry resumes on the token's snapshots", len(first), len(all))
	}
	var snap string
	for snap = range all {
	}
	// The second attempt's reads start above a watermark: every block below the lowest one
	// it read was read exactly once, by the first attempt.
	low := -1
	var again []int
	for idx, n := range all[snap] {
		if n > first[snap][idx] && (low < 0 || idx < low) {
			low = idx
		}
		if n > 1 {
			again = append(again, idx)
		}
	}
	below := 0
	for idx, n := range all[snap] {
		if idx < low {
			below++
			if n != 1 {
				t.Errorf("block %d, below the resumed attempt's first block %d, was read %d times", idx, low, n)
			}
		}
	}
	if len(all[snap]) != s.Blocks {
		t.Errorf("%d distinct blocks read, want the volume's %d", len(all[snap]), s.Blocks)
	}
	if below < 200 {
		t.Errorf("the resumed attempt started at block %d with %d blocks below it, want most of the ~300 read before the kill", low, below)
	}
	slices.Sort(again)
	t.Logf("resumed at block %d: %d blocks below it read once; %d blocks read twice (in flight or above the last checkpoint): %v", low, below, len(again), again)
}

// The daemon killed -9 mid-download: restarted on the same store, it queues the job again with
// its snapshot hold and resume token; the next attempt resumes on the same snapshot (no block
// below the token's watermark read again) and the snapshot is deleted when the job ends.
func TestAWSKilledDaemonResumesOnItsSnapshotAndDeletesIt(t *testing.T) {
	t.Parallel()
	plugins, standin := awsTools(t)
	s := startAWSStandin(t, standin, "-blocks", "600", "-latency", "20ms")
	d := awsDaemon(t, plugins, s, "    download_workers: 2")
	id := submitAWSExport(t, d, s, 300)
	kids := childPIDs(d.cmd.Process.Pid)
	d.cmd.Process.Kill()
	<-d.exited
	for deadline := time.Now().Add(15 * time.Second); anyAlive(kids) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if before := s.snapshots(t); len(before) != 1 {
		t.Fatalf("the killed daemon's export left snapshots %v, want its one", before)
	}
	first := blockReads(s.counts(t))
	d2 := startDaemonWithConfig(t, d.configPath)
	job := d2.waitJob(id)
	checkAWSExport(t, d2, s, job)
	checkResumed(t, s, first)
	failures, _ := job["failures"].([]any)
	if len(failures) == 0 || !strings.Contains(failures[0].(map[string]any)["error"].(string), "interrupted") {
		t.Errorf("the job does not record its interrupted attempt: %v", failures)
	}
}

// The seed's Pattern 1 from an EC2 instance: one job snapshots its volume, reads the blocks
// through EBS direct, converts the raw disk and defines the domain in libvirt, whose disk holds
// the volume's bytes; the snapshot is deleted.
func TestAWSPatternOneToLibvirt(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	needLibvirt(t)
	plugins, standin := awsTools(t)
	name := fmt.Sprintf("hs%d-aws-%d", os.Getpid(), vmPrefixes.Add(1))
	undefineLater(t, name)
	s := startAWSStandin(t, standin, "-blocks", "64", "-name", name)
	d := awsDaemon(t, plugins, s, patternOneSections(t))
	job := runPatternOne(t, d, "aws", s.InstanceID, "raw", name)
	checkAWSExport(t, d, s, job)
	checkImportedDomain(t, job, name, s.Image)
}
