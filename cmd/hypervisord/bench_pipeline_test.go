package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
)

// BenchmarkExportAndConvertVsGovcAndQemuImg times the whole path a user cares about — export a VM
// with two 1 GiB disks from a vCenter (the standalone simulator) and convert its disks to qcow2 —
// through the daemon, against `govc export.ovf` followed by `qemu-img convert` of each disk,
// same simulator, same run. The workflow goal is 0.6x of the sequential time or better.
// x-time-vs-sequential is the migration as such (keep_export: false: the disks are decoded
// straight into qcow2 and no export is written); x-time-keeping-export also writes and keeps
// the OVF export, as govc does.
func BenchmarkExportAndConvertVsGovcAndQemuImg(b *testing.B) {
	needQemuImg(b)
	tools := b.TempDir()
	vcsimBin, govc := filepath.Join(tools, "hypersdk-vcsim"), filepath.Join(tools, "govc")
	for out, pkg := range map[string]string{vcsimBin: "./cmd/hypersdk-vcsim", govc: "./internal/govcbench"} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir = "../../plugins/vsphere"
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("build %s: %v %s", pkg, err, msg)
		}
	}
	sim := exec.Command(vcsimBin, "-vms", "1", "-disk-mb", "1024", "-disks", "2")
	stdout, _ := sim.StdoutPipe()
	if err := sim.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { sim.Process.Kill(); sim.Wait() })
	creds := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for len(creds) < 3 && sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ": ")
		creds[k] = v
	}
	base, out := b.TempDir(), b.TempDir()
	d := startDaemon(b, fmt.Sprintf(`
providers:
  vsphere:
    host: "%s"
    username: "%s"
    password: "%s"
    insecure: true
export:
  base_path: %s
hyper2kvm:
  output_dir: %s
`, creds["url"], creds["username"], creds["password"], base, out))
	runOurs := func(keepExport bool) time.Duration {
		t0 := time.Now()
		_, body, _ := d.do("POST", "/jobs/submit", fmt.Sprintf(`{"vm_identifier":"DC0_C0_RP0_VM0","provider":"vsphere","export_method":"ovf",
			"hyper2kvm_integration":{"enabled":true,"auto_convert":true,"keep_export":%v}}`, keepExport))
		// Polled every 10 ms: the tests' 100 ms would add up to 0.1 s to a sub-second run.
		if job := d.waitJobEvery(body["job_id"].(string), 10*time.Millisecond); job["status"] != "completed" {
			b.Fatalf("job = %v", job)
		}
		took := time.Since(t0)
		os.RemoveAll(filepath.Join(out, "DC0_C0_RP0_VM0"))
		return took
	}
	runTheirs := func() time.Duration {
		gdir := b.TempDir()
		t1 := time.Now()
		cmd := exec.Command(govc, "export.ovf", "-vm", "DC0_C0_RP0_VM0", gdir)
		cmd.Env = append(os.Environ(), "GOVC_URL="+creds["url"], "GOVC_USERNAME="+creds["username"], "GOVC_PASSWORD="+creds["password"], "GOVC_INSECURE=1")
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("govc: %v %s", err, msg)
		}
		disks, _ := filepath.Glob(filepath.Join(gdir, "*", "*.vmdk"))
		for j, disk := range disks {
			if msg, err := exec.Command("qemu-img", "convert", "-O", "qcow2", disk, filepath.Join(gdir, fmt.Sprintf("d%d.qcow2", j))).CombinedOutput(); err != nil {
				b.Fatalf("qemu-img: %v %s", err, msg)
			}
		}
		syncTree(b, gdir)
		return time.Since(t1)
	}
	// One untimed round each: the daemon's first job starts the plugin and logs in to vCenter,
	// which a running daemon has long done; govc and qemu-img get the same warm caches.
	runOurs(false)
	runOurs(true)
	runTheirs()
	var ours, oursKeeping, theirs time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ours += runOurs(false)
		oursKeeping += runOurs(true)
		theirs += runTheirs()
	}
	b.ReportMetric(oursKeeping.Seconds()/float64(b.N), "hypersdk-keeping-export-s/op")
	b.ReportMetric(oursKeeping.Seconds()/theirs.Seconds(), "x-time-keeping-export")
	b.ReportMetric(ours.Seconds()/float64(b.N), "hypersdk-s/op")
	b.ReportMetric(theirs.Seconds()/float64(b.N), "govc+qemu-img-s/op")
	b.ReportMetric(ours.Seconds()/theirs.Seconds(), "x-time-vs-sequential")
}

func syncTree(b *testing.B, dir string) {
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			diskfile.Sync(p)
		}
		return nil
	})
}
