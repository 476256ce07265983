package gcp

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/hypersdk/hypersdk/plugins/gcp/internal/gcpfake"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// BenchmarkRangedReadsVsSequentialReader downloads a 2 GiB object from fake-gcs-server (in
// process, over loopback HTTP) twice: with the provider's download (download_workers parallel
// ranged reads of 16 MiB chunks into one file) and with one reader streamed to a file, what a
// plain gsutil-style copy does. Both go through the provider's configured storage client and
// end with the file synced. It prints the time ratio. Run (in plugins/gcp):
// go test -run - -bench RangedReads -benchtime 1x ./internal/gcp/
func BenchmarkRangedReadsVsSequentialReader(b *testing.B) {
	const size = 2 << 30
	c := gcpfake.Start(b, project, bucket)
	data := make([]byte, size)
	rng := rand.NewChaCha8([32]byte{19})
	_, _ = rng.Read(data)
	c.GCS.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: bucket, Name: "bench/disk.qcow2"}, Content: data})
	data = nil
	cfg, err := provider.NewConfig(c.Settings())
	if err != nil {
		b.Fatal(err)
	}
	p := New()
	if err := p.Configure(context.Background(), cfg); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	cl, s, err := p.configured()
	if err != nil {
		b.Fatal(err)
	}
	obj := cl.storage.Bucket(bucket).Object("bench/disk.qcow2")
	ctx := context.Background()
	for range b.N {
		dir := b.TempDir()
		start := time.Now()
		d := &rangeDownload{obj: obj, path: filepath.Join(dir, "ranged"), size: size, chunk: defaultChunk, workers: s.DownloadWorkers, retries: 3}
		if err := d.run(ctx); err != nil {
			b.Fatal(err)
		}
		ours := time.Since(start)
		if err := os.Remove(d.path); err != nil {
			b.Fatal(err)
		}

		start = time.Now()
		n, err := sequentialCopy(ctx, obj, filepath.Join(dir, "sequential"))
		if err != nil {
			b.Fatal(err)
		}
		if n != size {
			b.Fatalf("the sequential reader got %d bytes of %d", n, size)
		}
		seq := time.Since(start)
		fmt.Printf("GCP, %d GiB object from fake-gcs-server: %d parallel ranged reads of %d MiB %.2fs (%.0f MB/s); one sequential reader %.2fs (%.0f MB/s) — time ratio sequential / ours %.2f\n",
			size>>30, s.DownloadWorkers, defaultChunk>>20, ours.Seconds(), size/ours.Seconds()/1e6, seq.Seconds(), size/seq.Seconds()/1e6, seq.Seconds()/ours.Seconds())
		b.ReportMetric(seq.Seconds()/ours.Seconds(), "x-vs-sequential")
	}
}

// sequentialCopy streams the whole object through one reader into a new file at path and
// syncs it: a plain copy.
func sequentialCopy(ctx context.Context, obj *storage.ObjectHandle, path string) (int64, error) {
	rd, err := obj.NewReader(ctx)
	if err != nil {
		return 0, err
	}
	defer rd.Close()
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(f, rd)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, err
}
