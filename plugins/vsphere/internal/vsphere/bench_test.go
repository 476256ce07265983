package vsphere

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/plugins/vsphere/internal/vcsim"
	"github.com/hypersdk/hypersdk/sdk/diskfile"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// BenchmarkExportVsGovc exports the same VM (two 1 GiB disks) with this provider and with govc's
// export.ovf against the same simulator, and reports throughputs and speed-ups. Our export
// hashes every byte and fsyncs before it reports a file complete; govc does neither, so the
// fair comparison is with govc plus an fsync of what it wrote (x-vs-govc-durable), and the
// raw one (x-vs-govc) shows what durability and the checksum cost.
func BenchmarkExportVsGovc(b *testing.B) {
	needQemuImg(b)
	sim, err := vcsim.Start(context.Background(), vcsim.Options{VMs: 1, DiskBytes: 1 << 30, DisksPerVM: 2})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(sim.Close)
	p := New()
	cfg, _ := provider.NewConfig(simSettings(sim))
	if err := p.Configure(context.Background(), cfg); err != nil {
		b.Fatal(err)
	}
	govc := filepath.Join(b.TempDir(), "govc")
	if out, err := exec.Command("go", "build", "-o", govc, "../govcbench").CombinedOutput(); err != nil {
		b.Fatalf("build govc: %v %s", err, out)
	}
	var size int64
	runOurs := func() time.Duration {
		dir := b.TempDir()
		t0 := time.Now()
		res, err := p.ExportVM(context.Background(), provider.ExportSpec{VMID: testVM, Method: provider.MethodOVF, Dir: dir, ChunkSize: 10 << 20, MaxRetries: 1}, discardReporter{})
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(t0)
		size = 0
		for _, a := range res.Artifacts {
			if a.Kind == provider.KindDisk {
				size += a.Size
			}
		}
		return took
	}
	runTheirs := func() (raw, durable time.Duration) {
		gdir := b.TempDir()
		cmd := exec.Command(govc, "export.ovf", "-vm", testVM, gdir)
		cmd.Env = append(os.Environ(), "GOVC_URL="+sim.URL().String(), "GOVC_USERNAME="+sim.Username(), "GOVC_PASSWORD="+sim.Password(), "GOVC_INSECURE=1")
		t1 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("govc export.ovf: %v %s", err, out)
		}
		raw = time.Since(t1)
		syncAll(b, gdir)
		return raw, time.Since(t1)
	}
	// One untimed round each, so neither side pays the first connection and cold caches.
	runOurs()
	runTheirs()
	var ours, theirs, theirsDurable time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ours += runOurs()
		raw, durable := runTheirs()
		theirs += raw
		theirsDurable += durable
	}
	mb := float64(size) / (1 << 20) * float64(b.N)
	b.ReportMetric(mb/ours.Seconds(), "hypersdk-MB/s")
	b.ReportMetric(mb/theirs.Seconds(), "govc-MB/s")
	b.ReportMetric(theirs.Seconds()/ours.Seconds(), "x-vs-govc")
	b.ReportMetric(theirsDurable.Seconds()/ours.Seconds(), "x-vs-govc-durable")
}

// syncAll fsyncs every file in dir, as our export does before reporting a file complete.
func syncAll(b *testing.B, dir string) {
	err := filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		return diskfile.Sync(p)
	})
	if err != nil {
		b.Fatal(err)
	}
}

type discardReporter struct{}

func (discardReporter) Progress(provider.Progress)                    {}
func (discardReporter) Checkpoint(context.Context, []byte) error      { return nil }
func (discardReporter) Hold(context.Context, provider.Hold) error     { return nil }
func (discardReporter) Released(context.Context, provider.Hold) error { return nil }
