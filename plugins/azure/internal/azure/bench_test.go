package azure

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"

	"github.com/hypersdk/hypersdk/plugins/azure/internal/armstandin"
	"github.com/hypersdk/hypersdk/plugins/azure/internal/azurite"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// BenchmarkAllocatedRangesVsFullGet exports a 4 GiB managed disk holding 1 GiB of data (4 MiB
// runs every 16 MiB) from Azurite: the provider's parallel ranged reads of the allocated pages
// only, against one GET of the whole blob streamed to a file (what `az storage blob download`
// does without ranges), each from a read SAS on a snapshot of the disk. It prints the time
// ratio and the bytes each wrote. Run:
// go test -run - -bench AllocatedRanges -benchtime 1x ./internal/azure/
func BenchmarkAllocatedRangesVsFullGet(b *testing.B) {
	const size, run, stride = 4 << 30, 4 << 20, 16 << 20
	az := azurite.Start(b)
	srv := armstandin.Start(b, armstandin.Options{Token: testToken, Blob: az})
	data := map[int64][]byte{}
	fill := rand.NewChaCha8([32]byte{18})
	for off := int64(0); off < size; off += stride {
		buf := make([]byte, run)
		_, _ = fill.Read(buf)
		data[off] = buf
	}
	srv.AddDisk(armstandin.Disk{ResourceGroup: "rg", Name: "big-os", Location: "westeurope", SizeBytes: size, Data: data})
	srv.AddVM(armstandin.VM{ResourceGroup: "rg", Name: "big", Location: "westeurope", Size: "Standard_B2s", Power: "running", OSType: "Linux", OSDisk: "big-os"})
	p := New()
	cfg, err := provider.NewConfig(map[string]any{"subscription_id": srv.Subscription(), "credential": "access_token", "access_token": testToken,
		"resource_manager_endpoint": srv.URL(), "poll_interval": "10ms"})
	if err != nil {
		b.Fatal(err)
	}
	if err := p.Configure(context.Background(), cfg); err != nil {
		b.Fatal(err)
	}
	for range b.N {
		dir := b.TempDir()
		var downloading time.Time // the first download progress: snapshot and grant are done
		rec := &providertest.Recorder{OnProgress: func(pr provider.Progress) {
			if pr.Phase == provider.PhaseDownloading && downloading.IsZero() {
				downloading = time.Now()
			}
		}}
		start := time.Now()
		res, err := p.ExportVM(context.Background(), provider.ExportSpec{JobID: "bench", VMID: "rg/big", Method: provider.MethodRaw, Dir: dir}, rec)
		if err != nil {
			b.Fatal(err)
		}
		ours, oursRead := time.Since(start), time.Since(downloading)
		var written int64
		for _, e := range res.Artifacts[0].Extents {
			written += e.Length
		}

		start = time.Now()
		full, naiveRead, err := fullGet(context.Background(), p, srv, filepath.Join(dir, "full.vhd"))
		if err != nil {
			b.Fatal(err)
		}
		naive := time.Since(start)
		fmt.Printf("Azure, %d GiB disk, %d MiB allocated, from Azurite: allocated ranges %.2fs, of which reading %.2fs (%d MiB written); one full GET %.2fs, of which reading %.2fs (%d MiB written) — time ratio full GET / ours: reading %.2f, with the stand-in's snapshot and grant %.2f; %.1fx fewer bytes\n",
			size>>30, len(data)*run>>20, ours.Seconds(), oursRead.Seconds(), written>>20, naive.Seconds(), naiveRead.Seconds(), full>>20,
			naiveRead.Seconds()/oursRead.Seconds(), naive.Seconds()/ours.Seconds(), float64(full)/float64(written))
		b.ReportMetric(naiveRead.Seconds()/oursRead.Seconds(), "x-read-vs-full-get")
		b.ReportMetric(naive.Seconds()/ours.Seconds(), "x-vs-full-get")
		b.ReportMetric(float64(written), "bytes-written")
	}
}

// fullGet snapshots the disk, grants a read SAS on the snapshot and reads the whole blob in
// one GET into path, as a script would; it returns the bytes written and how long the GET took.
func fullGet(ctx context.Context, p *Provider, srv *armstandin.Server, path string) (int64, time.Duration, error) {
	c, _, _, err := p.configured()
	if err != nil {
		return 0, 0, err
	}
	diskID := fmt.Sprintf("/subscriptions/%s/resourceGroups/rg/providers/Microsoft.Compute/disks/big-os", srv.Subscription())
	sp, err := c.snapshots.BeginCreateOrUpdate(ctx, "rg", "full-get", armcompute.Snapshot{Location: to.Ptr("westeurope"), Properties: &armcompute.SnapshotProperties{
		CreationData: &armcompute.CreationData{CreateOption: to.Ptr(armcompute.DiskCreateOptionCopy), SourceResourceID: to.Ptr(diskID)},
		Incremental:  to.Ptr(true)}}, nil)
	if err != nil {
		return 0, 0, err
	}
	if _, err := sp.PollUntilDone(ctx, nil); err != nil {
		return 0, 0, err
	}
	gp, err := c.snapshots.BeginGrantAccess(ctx, "rg", "full-get", armcompute.GrantAccessData{
		Access: to.Ptr(armcompute.AccessLevelRead), DurationInSeconds: to.Ptr(int32(3600)), FileFormat: to.Ptr(armcompute.FileFormatVHD)}, nil)
	if err != nil {
		return 0, 0, err
	}
	granted, err := gp.PollUntilDone(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	bc, err := blob.NewClientWithNoCredential(*granted.AccessSAS, nil)
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	resp, err := bc.DownloadStream(ctx, nil)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return 0, 0, err
	}
	n, err := io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return n, time.Since(start), err
}
