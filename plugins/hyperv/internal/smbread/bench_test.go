package smbread

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/smbd"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// BenchmarkParallelReadAtVsSequentialCopy reads one 2 GiB VHDX (data throughout, made by
// qemu-img) from a local smbd: Copy's parallel ReadAt (8 in flight, 8 MiB each, on one signed
// SMB3 session) against one sequential reader streaming the file to disk (io.Copy, what a
// plain copy of the file does). The file is read once before, so both read smbd's page cache:
// the difference is the protocol's pipelining, not the disk. It prints the time ratio. Run:
// go test -run - -bench ParallelReadAt -benchtime 1x ./internal/smbread/
func BenchmarkParallelReadAtVsSequentialCopy(b *testing.B) {
	const size = 2 << 30
	s := smbd.StartT(b)
	qemu := providertest.NeedTool(b, "qemu-img", "apt-get install qemu-utils")
	raw := filepath.Join(b.TempDir(), "disk.raw")
	f, err := os.Create(raw)
	if err != nil {
		b.Fatal(err)
	}
	block := bytes.Repeat([]byte("hyper-v benchmark disk "), (4<<20)/23+1)[:4<<20]
	for off := int64(0); off < size; off += int64(len(block)) {
		block[0] = byte(off >> 22) // no two blocks alike
		if _, err := f.WriteAt(block, off); err != nil {
			b.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command(qemu, "convert", "-f", "raw", "-O", "vhdx", raw, filepath.Join(s.Dir, "big.vhdx")).CombinedOutput(); err != nil {
		b.Fatalf("qemu-img convert: %v\n%s", err, out)
	}
	os.Remove(raw)
	src := source(s)
	dir := b.TempDir()
	ctx := context.Background()
	if _, err := Copy(ctx, src, "big.vhdx", filepath.Join(dir, "warm"), Options{}); err != nil {
		b.Fatal(err)
	}
	var parallel, sequential time.Duration
	var n int64
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if n, err = Copy(ctx, src, "big.vhdx", filepath.Join(dir, "parallel"), Options{Workers: 8, Chunk: 8 << 20}); err != nil {
			b.Fatal(err)
		}
		parallel += time.Since(start)
		start = time.Now()
		if err := sequentialCopy(ctx, src, "big.vhdx", filepath.Join(dir, "sequential")); err != nil {
			b.Fatal(err)
		}
		sequential += time.Since(start)
	}
	b.StopTimer()
	mbps := func(d time.Duration) float64 { return float64(n) * float64(b.N) / d.Seconds() / 1e6 }
	b.ReportMetric(sequential.Seconds()/parallel.Seconds(), "x-faster")
	b.ReportMetric(mbps(parallel), "parallel-MB/s")
	b.ReportMetric(mbps(sequential), "sequential-MB/s")
	fmt.Printf("SMB3 read of a %d MiB VHDX: parallel ReadAt %.0f MB/s, one sequential reader %.0f MB/s: %.2fx the time for the sequential reader\n",
		n>>20, mbps(parallel), mbps(sequential), sequential.Seconds()/parallel.Seconds())
}

// sequentialCopy streams the file to local with io.Copy (go-smb2's WriteTo: one read at a time).
func sequentialCopy(ctx context.Context, src Source, name, local string) error {
	m, err := src.Dial(ctx)
	if err != nil {
		return err
	}
	defer m.Close()
	in, err := m.Share.Open(name)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(local)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
