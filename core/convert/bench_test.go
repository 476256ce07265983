package convert

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
)

// BenchmarkConvertVsQemuImg converts a 1 GiB streamOptimized VMDK (256 MiB of data) to qcow2 with
// Convert (progress parsing, .part, qemu-img check, fsync, rename) and with a bare
// `qemu-img convert` followed by an fsync of its output, caches dropped before each run where
// the machine allows it, and reports the ratio: what the safety steps cost. qemu-img's -W and -m 8 were measured on 2 cores and gave
// no gain (see shared/PEERS.md), so Convert uses qemu-img's defaults.
func BenchmarkConvertVsQemuImg(b *testing.B) {
	qemu := needQemuImg(b)
	dir := b.TempDir()
	raw, vmdk := filepath.Join(dir, "src.raw"), filepath.Join(dir, "src.vmdk")
	f, _ := os.Create(raw)
	f.Truncate(1 << 30)
	block := make([]byte, 1<<20)
	for i := range block {
		block[i] = byte(i*7 + i>>9)
	}
	for off := int64(0); off < 1<<30; off += 4 << 20 {
		f.WriteAt(block, off)
	}
	f.Close()
	if out, err := exec.Command(qemu, "convert", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, vmdk).CombinedOutput(); err != nil {
		b.Fatalf("%v %s", err, out)
	}
	dropCaches := func() { exec.Command("sh", "-c", "sync; echo 3 > /proc/sys/vm/drop_caches").Run() }
	var ours, bare time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out := filepath.Join(b.TempDir(), "out.qcow2")
		dropCaches()
		t0 := time.Now()
		if err := Convert(context.Background(), qemu, Source{Path: vmdk, Format: "vmdk"}, out, Options{Format: FormatQCOW2}, nil); err != nil {
			b.Fatal(err)
		}
		ours += time.Since(t0)
		out2 := filepath.Join(b.TempDir(), "bare.qcow2")
		dropCaches()
		t1 := time.Now()
		if err := exec.Command(qemu, "convert", "-f", "vmdk", "-O", "qcow2", vmdk, out2).Run(); err != nil {
			b.Fatal(err)
		}
		if err := diskfile.Sync(out2); err != nil { // durable, like Convert's result
			b.Fatal(err)
		}
		bare += time.Since(t1)
	}
	b.ReportMetric(ours.Seconds()/float64(b.N), "hypersdk-s/op")
	b.ReportMetric(bare.Seconds()/float64(b.N), "qemu-img-s/op")
	b.ReportMetric(ours.Seconds()/bare.Seconds(), "x-time-vs-qemu-img")
}
