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

// checkGCPExport checks the completed job's disk against the stand-in's disk byte for byte,
// its holds released, and no snapshot, image, running build or object left in the project.
func checkGCPExport(t *testing.T, d *daemon, s *gcpStandin, job map[string]any) {
	t.Helper()
	if job["status"] != "completed" {
		t.Fatalf("job = %v\nlogs:\n%s", job, d.text("/jobs/logs/"+job["job_id"].(string)))
	}
	sameFile(t, filepath.Join(job["export_dir"].(string), "disk-0.raw"), s.Image)
	checkReleased(t, job)
	s.waitState(t, "left with nothing", 30*time.Second, func(st gcpState) bool {
		return st.Snapshots == 0 && st.Images == 0 && st.RunningBuilds == 0 && len(st.Objects) == 0
	})
}

// The daemon and its plugin killed -9 while the image-export build runs, after the plugin
// checkpointed it: restarted on the same store, the daemon queues the job again with its holds
// and resume token; the next attempt goes on polling the same build (no second snapshot, image
// or build), and when the job ends its snapshot, image, build and object are gone.
func TestGCPKilledDaemonResumesOnItsBuild(t *testing.T) {
	t.Parallel()
	plugins, standin := gcpTools(t)
	// 100 polls of 50 ms: the build runs about 5 s while the daemon polls it.
	s := startGCPStandin(t, standin, "-mib", "8", "-build-polls", "100")
	d := gcpDaemon(t, plugins, s, "")
	code, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier":"`+s.VMID+`","provider":"gcp","export_method":"raw","export_path":"gce"}`)
	if code != 202 {
		t.Fatalf("submit = %d %v", code, body)
	}
	id := body["job_id"].(string)
	killMidBuild(t, d, s, id)
	d2 := startDaemonWithConfig(t, d.configPath)
	job := d2.waitJob(id)
	checkGCPExport(t, d2, s, job)
	if st := s.state(t); st.Builds != 1 {
		t.Errorf("%d builds made, want one: the retry resumes on the token's build", st.Builds)
	}
	failures, _ := job["failures"].([]any)
	if len(failures) == 0 || !strings.Contains(failures[0].(map[string]any)["error"].(string), "interrupted") {
		t.Errorf("the job does not record its interrupted attempt: %v", failures)
	}
	kinds := map[string]int{}
	for _, h := range holdsOf(job) {
		kinds[fmt.Sprint(h["kind"])]++
	}
	for _, k := range []string{"snapshot", "image", "build", "object"} {
		if kinds[k] != 1 {
			t.Errorf("job shows %d %s holds, want the one the retry resumed on: %v", kinds[k], k, holdsOf(job))
		}
	}
}

// killMidBuild kills -9 the daemon and its plugin once job id's build runs and its id is
// checkpointed, and checks that the snapshot, the image and the running build are left.
func killMidBuild(t *testing.T, d *daemon, s *gcpStandin, id string) {
	t.Helper()
	waitBuildCheckpointed(t, d, s, id)
	// The plugin too, as when the host dies: left alone, a plugin whose daemon is gone
	// cancels its build on the way out.
	kids := childPIDs(d.cmd.Process.Pid)
	for _, pid := range kids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	d.cmd.Process.Kill()
	<-d.exited
	for deadline := time.Now().Add(15 * time.Second); anyAlive(kids) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if st := s.state(t); st.Snapshots != 1 || st.Images != 1 || st.RunningBuilds != 1 {
		t.Fatalf("the killed daemon's export left %+v, want its snapshot, image and running build", st)
	}
}

// waitBuildCheckpointed waits until job id's build runs and the daemon has stored its id.
func waitBuildCheckpointed(t *testing.T, d *daemon, s *gcpStandin, id string) {
	t.Helper()
	s.waitState(t, "building", time.Minute, func(st gcpState) bool { return st.RunningBuilds == 1 })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, j, _ := d.do("GET", "/jobs/query?job_id="+id, "")
		if j["status"] != "running" {
			t.Fatalf("job %s is %v mid-build, want running", id, j["status"])
		}
		// The plugin checkpoints the build's id before it polls the build: progress naming
		// the build's state comes after the daemon stored the token.
		if msg, _ := j["progress"].(map[string]any)["message"].(string); strings.HasPrefix(msg, "build ") && strings.Contains(msg, "WORKING") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no progress of the running build: %v", j["progress"])
		}
	}
}

// The plugin alone killed -9 mid-build, the daemon alive: the daemon restarts the plugin and
// runs the job's next attempt on the stored token, which goes on polling the same build (no
// second snapshot, image or build); when the job completes, its snapshot, image, build and
// object are gone.
func TestGCPKilledPluginResumesOnItsBuild(t *testing.T) {
	t.Parallel()
	plugins, standin := gcpTools(t)
	s := startGCPStandin(t, standin, "-mib", "8", "-build-polls", "100")
	d := gcpDaemon(t, plugins, s, "")
	code, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier":"`+s.VMID+`","provider":"gcp","export_method":"raw","export_path":"gce"}`)
	if code != 202 {
		t.Fatalf("submit = %d %v", code, body)
	}
	id := body["job_id"].(string)
	waitBuildCheckpointed(t, d, s, id)
	kids := childPIDs(d.cmd.Process.Pid)
	if len(kids) == 0 {
		t.Fatal("the daemon runs no plugin process")
	}
	for _, pid := range kids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	// Nothing polls the build while no plugin runs: the stand-in's build stays where it was.
	if st := s.state(t); st.Snapshots != 1 || st.Images != 1 || st.RunningBuilds != 1 {
		t.Fatalf("the killed plugin left %+v, want its snapshot, image and running build", st)
	}
	job := d.waitJob(id)
	checkGCPExport(t, d, s, job)
	if job["attempts"] != 2.0 {
		t.Errorf("attempts = %v, want 2 (the killed plugin's and the resumed one)", job["attempts"])
	}
	if st := s.state(t); st.Builds != 1 {
		t.Errorf("%d builds made, want one: the next attempt resumes on the token's build", st.Builds)
	}
}

// The daemon and its plugin killed -9 mid-build, then the job cancelled after the restart: the
// build is cancelled and its snapshot, image and (never written) object deleted.
func TestGCPKilledThenCancelledJobCancelsItsBuild(t *testing.T) {
	t.Parallel()
	plugins, standin := gcpTools(t)
	s := startGCPStandin(t, standin, "-mib", "8", "-build-polls", "100000")
	d := gcpDaemon(t, plugins, s, "")
	code, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier":"`+s.VMID+`","provider":"gcp","export_method":"raw","export_path":"gce"}`)
	if code != 202 {
		t.Fatalf("submit = %d %v", code, body)
	}
	id := body["job_id"].(string)
	killMidBuild(t, d, s, id)
	d2 := startDaemonWithConfig(t, d.configPath)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, j, _ := d2.do("GET", "/jobs/query?job_id="+id, "")
		if j["status"] == "running" && j["attempts"] == 2.0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job did not run again after the restart: %v", j)
		}
	}
	if code, job, _ := d2.do("POST", "/jobs/cancel/"+id, ""); code != 200 {
		t.Fatalf("cancel = %d %v", code, job)
	}
	job := d2.waitJob(id)
	if job["status"] != "cancelled" {
		t.Fatalf("job = %v", job)
	}
	// The holds are released once the job has ended, newest first.
	st := s.waitState(t, "left with nothing", 30*time.Second, func(st gcpState) bool {
		return st.Snapshots == 0 && st.Images == 0 && st.RunningBuilds == 0 && len(st.Objects) == 0
	})
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if _, job, _ = d2.do("GET", "/jobs/query?job_id="+id, ""); len(holdsOf(job)) > 0 && holdsOf(job)[0]["state"] == "released" {
			break
		}
	}
	checkReleased(t, job)
	if st.Builds != 1 {
		t.Errorf("%d builds made, want the one the job resumed on", st.Builds)
	}
}

// The seed's Pattern 1 from a Compute Engine instance: one job snapshots its disk, images it,
// runs the export build, downloads the object, converts the raw disk and defines the domain
// in libvirt, whose disk holds the instance disk's bytes; nothing is left in the project.
func TestGCPPatternOneToLibvirt(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	needLibvirt(t)
	plugins, standin := gcpTools(t)
	name := fmt.Sprintf("hs%d-gcp-%d", os.Getpid(), vmPrefixes.Add(1))
	undefineLater(t, name)
	s := startGCPStandin(t, standin, "-mib", "8", "-name", name)
	d := gcpDaemon(t, plugins, s, patternOneSections(t))
	job := runPatternOne(t, d, "gcp", s.VMID, "raw", name)
	checkGCPExport(t, d, s, job)
	checkImportedDomain(t, job, name, s.Image)
}
