package diskconv

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// BenchmarkDecodeVsQemuImg converts the same streamOptimized VMDK (1 GiB disk, 256 MiB of
// data) to qcow2 with a Converter fed as a download would feed it, and with
// `qemu-img convert -O qcow2` followed by an fsync, same run, the VMDK warm in the page cache
// for both. The decoder is what makes the export's conversion pass disappear; it must not be
// slower than the pass it replaces.
func BenchmarkDecodeVsQemuImg(b *testing.B) {
	qemuImg := providertest.NeedTool(b, "qemu-img", "apt-get install qemu-utils")
	const mib = 1 << 20
	var data []extent
	for off := int64(0); off < 1024*mib; off += 4 * mib {
		data = append(data, extent{off, mib})
	}
	_, vmdk := makeStream(b, qemuImg, 1024*mib, data)
	var ours, theirs time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		t0 := time.Now()
		c, err := New(context.Background(), filepath.Join(dir, "ours.qcow2"), QCOW2)
		if err != nil {
			b.Fatal(err)
		}
		f, _ := os.Open(vmdk)
		buf := diskfile.Get(10 * mib) // as the download's reused buffers
		for {
			n, err := io.ReadFull(f, buf)
			c.Write(buf[:n])
			if err != nil {
				break
			}
		}
		f.Close()
		diskfile.Put(buf)
		if err := c.Close(); err != nil {
			b.Fatal(err)
		}
		ours += time.Since(t0)

		out := filepath.Join(dir, "qemu.qcow2")
		t1 := time.Now()
		if msg, err := exec.Command(qemuImg, "convert", "-O", "qcow2", vmdk, out).CombinedOutput(); err != nil {
			b.Fatalf("qemu-img: %v %s", err, msg)
		}
		if g, err := os.OpenFile(out, os.O_RDWR, 0); err == nil {
			g.Sync()
			g.Close()
		}
		theirs += time.Since(t1)
	}
	b.ReportMetric(ours.Seconds()/float64(b.N), "diskconv-s/op")
	b.ReportMetric(theirs.Seconds()/float64(b.N), "qemu-img-s/op")
	b.ReportMetric(ours.Seconds()/theirs.Seconds(), "x-time-vs-qemu-img")
}
