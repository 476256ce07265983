package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// checkOCIExport checks the completed job's qcow2 against the stand-in's boot volume, its
// holds released, and no image, object or PAR left in the tenancy.
func checkOCIExport(t *testing.T, d *daemon, s *ociStandin, job map[string]any) {
	t.Helper()
	if job["status"] != "completed" {
		t.Fatalf("job = %v\nlogs:\n%s", job, d.text("/jobs/logs/"+job["job_id"].(string)))
	}
	qcow2 := filepath.Join(job["export_dir"].(string), "disk-0.qcow2")
	if out, err := exec.Command("qemu-img", "compare", "-f", "raw", "-F", "qcow2", s.Image, qcow2).CombinedOutput(); err != nil {
		t.Fatalf("the exported object differs from the boot volume: %v %s", err, out)
	}
	checkReleased(t, job)
	s.waitState(t, "left with nothing", 30*time.Second, func(st ociState) bool {
		return st.Images == 0 && st.PARs == 0 && len(st.Objects) == 0
	})
}

// The seed's Pattern 1 from an OCI instance: one job makes a custom image of it, exports the
// image to the staging bucket as QCOW2, downloads the object with ranged GETs and defines the
// domain in libvirt, whose disk holds the boot volume's bytes; nothing is left in the tenancy.
// The job's log and result name the attached block volume that a custom image does not hold.
func TestOCIPatternOneToLibvirt(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	needLibvirt(t)
	name := fmt.Sprintf("hs%d-oci-%d", os.Getpid(), vmPrefixes.Add(1))
	undefineLater(t, name)
	plugins, s := startOCIStandin(t, "-mib", "8", "-name", name, "-export-time", "500ms", "-volume", name+"-data")
	d := ociDaemon(t, plugins, s, patternOneSections(t))
	job := runPatternOne(t, d, "oci", s.VMID, "qcow2", name)
	checkOCIExport(t, d, s, job)
	checkImportedDomain(t, job, name, s.Image)
	if log := d.text("/jobs/logs/" + job["job_id"].(string)); !strings.Contains(log, name+"-data") || !strings.Contains(log, "not exported") {
		t.Errorf("the job's log does not name the block volume %s-data that was not exported:\n%s", name, log)
	}
	left, _ := job["result"].(map[string]any)["not_exported"].([]any)
	if len(left) != 1 || left[0].(map[string]any)["disk"].(map[string]any)["label"] != name+"-data" || left[0].(map[string]any)["reason"] == "" {
		t.Errorf("the job's result lists as not exported %v, want the block volume %s-data with a reason", left, name)
	}
}

// The daemon and its plugin killed -9 while the image's export work request runs, after the
// plugin checkpointed it: restarted on the same store, the daemon runs the job again with its
// holds and resume token; the retry polls the same work request (no second image or export),
// and when the job ends the image and the object are deleted.
func TestOCIKilledDaemonDeletesImageAndObject(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	plugins, s := startOCIStandin(t, "-mib", "8", "-export-time", "5s")
	d := ociDaemon(t, plugins, s, "")
	code, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier":"`+s.VMID+`","provider":"oci","export_method":"qcow2","export_path":"oci"}`)
	if code != 202 {
		t.Fatalf("submit = %d %v", code, body)
	}
	id := body["job_id"].(string)
	s.waitState(t, "exporting", time.Minute, func(st ociState) bool { return st.Exports == 1 })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, j, _ := d.do("GET", "/jobs/query?job_id="+id, "")
		if j["status"] != "running" {
			t.Fatalf("job %s is %v mid-export, want running", id, j["status"])
		}
		// The plugin checkpoints the work request before it polls it: progress of the export's
		// work request comes after the daemon stored the token.
		if p, _ := j["progress"].(map[string]any); p["phase"] == "exporting-in-cloud" && strings.Contains(fmt.Sprint(p["message"]), "IN_PROGRESS") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no progress of the export's work request: %v", j["progress"])
		}
	}
	kids := childPIDs(d.cmd.Process.Pid)
	for _, pid := range kids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	d.cmd.Process.Kill()
	<-d.exited
	for deadline := time.Now().Add(15 * time.Second); anyAlive(kids) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if st := s.state(t); st.Images != 1 || len(st.Objects) != 0 {
		t.Fatalf("the killed daemon's export left %+v, want its image mid-export and no object yet", st)
	}
	d2 := startDaemonWithConfig(t, d.configPath)
	job := d2.waitJob(id)
	checkOCIExport(t, d2, s, job)
	if st := s.state(t); st.ImagesCreated != 1 || st.Exports != 1 {
		t.Errorf("%d images and %d exports made, want one each: the retry resumes on the checkpoint's work request", st.ImagesCreated, st.Exports)
	}
	failures, _ := job["failures"].([]any)
	if len(failures) == 0 || !strings.Contains(failures[0].(map[string]any)["error"].(string), "interrupted") {
		t.Errorf("the job does not record its interrupted attempt: %v", failures)
	}
}
