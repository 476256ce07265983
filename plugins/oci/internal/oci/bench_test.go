package oci

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/oracle/oci-go-sdk/v65/objectstorage"

	"github.com/hypersdk/hypersdk/plugins/oci/internal/ocifake"
)

// BenchmarkRangedGetsVsOneGet downloads a 2 GiB object from the stand-in (in process, over
// loopback HTTP, every request's signature verified) twice: with the provider's download
// (download_workers signed ranged GETs of 32 MiB into one file) and with one GetObject of the
// whole object through the SDK streamed to a file, what `oci os object get` does. Both end
// with the file synced. It prints the time ratio, over plain loopback (where one stream is
// bounded by this machine's CPU and disk only) and with each response capped at 100 MB/s (one
// connection's throughput to a distant region). Run (in plugins/oci):
// go test -run - -bench RangedGets -benchtime 1x ./internal/oci/
func BenchmarkRangedGetsVsOneGet(b *testing.B) {
	for _, mbps := range []float64{0, 100} {
		name := "loopback"
		if mbps > 0 {
			name = fmt.Sprintf("%.0fMBps-per-stream", mbps)
		}
		b.Run(name, func(b *testing.B) { benchRangedGets(b, mbps) })
	}
}

func benchRangedGets(b *testing.B, mbps float64) {
	const size = 2 << 30
	c := ocifake.Start(b)
	c.StreamMBps = mbps
	data := make([]byte, size)
	rng := rand.NewChaCha8([32]byte{21})
	_, _ = rng.Read(data)
	c.PutObject("bench/disk.qcow2", data)
	data = nil
	p := New()
	cfg := settingsWith(c, nil)
	if err := configure(p, cfg); err != nil {
		b.Fatal(err)
	}
	cl, s, _, err := p.configured()
	if err != nil {
		b.Fatal(err)
	}
	ns, bucket, object := s.StagingNamespace, s.StagingBucket, "bench/disk.qcow2"
	ctx := context.Background()
	for range b.N {
		dir := b.TempDir()
		start := time.Now()
		d := &RangeDownload{Path: filepath.Join(dir, "ranged"), Size: size, Chunk: defaultChunk, Workers: s.DownloadWorkers, Retries: 3,
			Get: func(ctx context.Context, off, n int64) (io.ReadCloser, error) {
				return cl.getRange(ctx, ns, bucket, object, "", off, n)
			}}
		if err := d.Run(ctx); err != nil {
			b.Fatal(err)
		}
		ours := time.Since(start)
		if err := os.Remove(d.Path); err != nil {
			b.Fatal(err)
		}

		start = time.Now()
		resp, err := cl.objects.GetObject(ctx, objectstorage.GetObjectRequest{NamespaceName: &ns, BucketName: &bucket, ObjectName: &object})
		if err != nil {
			b.Fatal(err)
		}
		n, err := copyToFile(resp.Content, filepath.Join(dir, "one-get"))
		if err != nil || n != size {
			b.Fatalf("one GET: %d bytes of %d: %v", n, size, err)
		}
		one := time.Since(start)
		fmt.Printf("OCI, %d GiB object from the stand-in (%s): %d parallel ranged GETs of %d MiB %.2fs (%.0f MB/s); one GET %.2fs (%.0f MB/s) — %.2fx\n",
			size>>30, b.Name(), s.DownloadWorkers, defaultChunk>>20, ours.Seconds(), size/ours.Seconds()/1e6, one.Seconds(), size/one.Seconds()/1e6, one.Seconds()/ours.Seconds())
		b.ReportMetric(one.Seconds()/ours.Seconds(), "x-vs-one-get")
	}
}

// copyToFile streams body into a new file at path, syncs and closes both.
func copyToFile(body io.ReadCloser, path string) (int64, error) {
	defer body.Close()
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, body)
	if err != nil {
		f.Close()
		return n, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return n, err
	}
	return n, f.Close()
}
