package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
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
	vcsimBin, govc := benchTools(b)
	sim := startVcsim(b, vcsimBin, "-vms", "1", "-disk-mb", "1024", "-disks", "2")
	base, out := b.TempDir(), b.TempDir()
	d := startDaemon(b, sim.vsphereConfig(base)+fmt.Sprintf(`
hyper2kvm:
  output_dir: %s
`, out))
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
		sim.govcExport(b, govc, "DC0_C0_RP0_VM0", gdir)
		disks, _ := filepath.Glob(filepath.Join(gdir, "*", "*.vmdk"))
		for j, disk := range disks {
			if msg, err := exec.Command("qemu-img", "convert", "-O", "qcow2", disk, filepath.Join(gdir, fmt.Sprintf("d%d.qcow2", j))).CombinedOutput(); err != nil {
				b.Fatalf("qemu-img: %v %s", err, msg)
			}
		}
		syncTree(gdir)
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
