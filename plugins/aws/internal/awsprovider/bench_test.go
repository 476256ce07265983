package awsprovider

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ebs"

	"github.com/hypersdk/hypersdk/plugins/aws/internal/ebsdirect"
	"github.com/hypersdk/hypersdk/plugins/aws/internal/motoserver"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// BenchmarkEBSDirectParallelVsSequential exports a 4 GiB volume holding 1 GiB of written
// blocks, served with 20 ms per request, with the provider's worker pool and with the
// sequential GetSnapshotBlock loop a naive script runs, and prints the time ratio and the
// bytes each wrote (the written blocks only, for both). Run: make bench, or
// go test -run - -bench EBSDirect -benchtime 1x ./internal/awsprovider/
func BenchmarkEBSDirectParallelVsSequential(b *testing.B) {
	const sizeGiB, written = 4, 2048 // 2048 blocks of 512 KiB: 1 GiB
	moto := motoserver.Start(b)
	made := moto.Run(b, motoserver.Instance{Name: "bench", VolumesGiB: []int32{sizeGiB}})[0]
	blocks := make([]int32, written)
	for i := range blocks {
		blocks[i] = int32(i * (sizeGiB << 30 / ebsdirect.BlockSize) / written)
	}
	img, err := ebsdirect.MakeVolume(b.TempDir(), "vol.img", sizeGiB, blocks, 1)
	if err != nil {
		b.Fatal(err)
	}
	vols := &ebsdirect.Volumes{EC2: moto.EC2}
	vols.Add(made.Volumes[0], img)
	srv := ebsdirect.New(vols.Resolve)
	b.Cleanup(srv.Close)
	srv.SetFaults(ebsdirect.Faults{Latency: 20 * time.Millisecond})
	settings := moto.Settings(srv.URL)
	settings["download_workers"] = 32
	p := configured(b, settings)
	for range b.N {
		dir := b.TempDir()
		start := time.Now()
		res, err := p.ExportVM(context.Background(), provider.ExportSpec{VMID: made.ID, Method: provider.MethodRaw, Dir: dir}, &providertest.Recorder{})
		if err != nil {
			b.Fatal(err)
		}
		parallel := time.Since(start)
		snap := snapshotOf(res, 0)
		var data int64
		for _, e := range res.Artifacts[0].Extents {
			data += e.Length
		}

		// The naive script: the same snapshot (taken again), every block in turn.
		start = time.Now()
		seqBytes, err := sequentialCopy(srv.URL, snapshotFor(b, p, made.ID), filepath.Join(dir, "sequential.raw"), sizeGiB<<30)
		if err != nil {
			b.Fatal(err)
		}
		sequential := time.Since(start)
		fmt.Printf("EBS direct, %d GiB volume, %d MiB written, 20 ms/request: %d workers %.2fs (%d MiB on disk), sequential loop %.2fs (%d MiB) — %.1fx faster (snapshot %s)\n",
			sizeGiB, written/2, 32, parallel.Seconds(), data>>20, sequential.Seconds(), seqBytes>>20, sequential.Seconds()/parallel.Seconds(), snap)
		b.ReportMetric(sequential.Seconds()/parallel.Seconds(), "x-vs-sequential")
	}
}

// snapshotFor takes a snapshot of the instance's volume for the sequential run and returns it.
func snapshotFor(b *testing.B, p *Provider, id string) string {
	st, err := p.state()
	if err != nil {
		b.Fatal(err)
	}
	x := &exportRun{st: st, rc: st.regions[0], r: &providertest.Recorder{}, log: provider.Logger(context.Background())}
	if x.vm, _, _, err = st.findInstance(context.Background(), id); err != nil {
		b.Fatal(err)
	}
	set, err := x.createSnapshots(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.release(context.Background(), set.hold) })
	return set.byVolume[x.vm.Disks[0].Key]
}

// sequentialCopy is what a naive script does: list every block, then GetSnapshotBlock one
// after the other, writing each at its offset.
func sequentialCopy(endpoint, snapshot, path string, size int64) (int64, error) {
	c := ebs.New(ebs.Options{Region: motoserver.Region, BaseEndpoint: aws.String(endpoint),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "SECRETTEST", "")})
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return 0, err
	}
	var written int64
	pages := ebs.NewListSnapshotBlocksPaginator(c, &ebs.ListSnapshotBlocksInput{SnapshotId: aws.String(snapshot)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(context.Background())
		if err != nil {
			return 0, err
		}
		for _, blk := range page.Blocks {
			out, err := c.GetSnapshotBlock(context.Background(), &ebs.GetSnapshotBlockInput{SnapshotId: aws.String(snapshot), BlockIndex: blk.BlockIndex, BlockToken: blk.BlockToken})
			if err != nil {
				return 0, err
			}
			data, err := io.ReadAll(out.BlockData)
			out.BlockData.Close()
			if err != nil {
				return 0, err
			}
			sum := sha256.Sum256(data)
			if base64.StdEncoding.EncodeToString(sum[:]) != aws.ToString(out.Checksum) {
				return 0, fmt.Errorf("block %d: checksum mismatch", aws.ToInt32(blk.BlockIndex))
			}
			if _, err := f.WriteAt(data, int64(aws.ToInt32(blk.BlockIndex))*int64(len(data))); err != nil {
				return 0, err
			}
			written += int64(len(data))
		}
	}
	return written, nil
}
