package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

func configuredFake(b *testing.B, vms int) *fake.Provider {
	p := fake.New()
	cfg, _ := provider.NewConfig(map[string]any{"vm_count": vms})
	if err := p.Configure(provider.WithLogger(context.Background(), hclog.NewNullLogger()), cfg); err != nil {
		b.Fatal(err)
	}
	return p
}

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// buildBinary builds the plugin once per benchmark run.
func buildBinary(b *testing.B) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "bench-testprovider-")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "hypersdk-provider-testprovider")
		if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("build: %v %s", err, out)
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return binary
}

// BenchmarkListVMs10k lists 10,000 VMs through a plugin process and in process, and reports
// both and their ratio: the price of isolation for the largest call the contract has. The two
// calls alternate, so both see the same machine; sdk/plugin's BenchmarkListVMsWire times the
// wire alone.
func BenchmarkListVMs10k(b *testing.B) {
	ctx := context.Background()
	direct := configuredFake(b, 10000)
	remote := plugin.Launch(b, buildBinary(b))
	cfg, _ := provider.NewConfig(map[string]any{"vm_count": 10000})
	if err := remote.Configure(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	var viaPlugin, inProcess time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		if vms, err := remote.ListVMs(ctx, provider.Filter{}); err != nil || len(vms) != 10000 {
			b.Fatal(len(vms), err)
		}
		t1 := time.Now()
		if _, err := direct.ListVMs(ctx, provider.Filter{}); err != nil {
			b.Fatal(err)
		}
		viaPlugin, inProcess = viaPlugin+t1.Sub(t0), inProcess+time.Since(t1)
	}
	b.ReportMetric(viaPlugin.Seconds()*1000/float64(b.N), "plugin-ms/op")
	b.ReportMetric(inProcess.Seconds()*1000/float64(b.N), "inprocess-ms/op")
	b.ReportMetric(float64(viaPlugin)/float64(inProcess), "x-plugin/inprocess")
}

// BenchmarkGetVMLatency reports p50 and p99 of GetVM through a plugin process against in process.
func BenchmarkGetVMLatency(b *testing.B) {
	ctx := context.Background()
	direct := configuredFake(b, 100)
	remote := plugin.Launch(b, buildBinary(b))
	cfg, _ := provider.NewConfig(map[string]any{"vm_count": 100})
	remote.Configure(ctx, cfg)
	measure := func(p provider.Provider) []time.Duration {
		d := make([]time.Duration, 0, b.N)
		for i := 0; i < b.N; i++ {
			t0 := time.Now()
			if _, err := p.GetVM(ctx, "vm-042"); err != nil {
				b.Fatal(err)
			}
			d = append(d, time.Since(t0))
		}
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return d
	}
	b.ResetTimer()
	viaPlugin, inProcess := measure(remote), measure(direct)
	pct := func(d []time.Duration, p float64) float64 { return float64(d[int(float64(len(d)-1)*p)].Microseconds()) }
	b.ReportMetric(pct(viaPlugin, 0.50), "plugin-p50-µs")
	b.ReportMetric(pct(viaPlugin, 0.99), "plugin-p99-µs")
	b.ReportMetric(pct(inProcess, 0.50), "inprocess-p50-µs")
}

// BenchmarkPluginStart measures launch, handshake and the first Info call of a plugin binary.
func BenchmarkPluginStart(b *testing.B) {
	bin := buildBinary(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := plugin.Launch(b, bin)
		if _, err := p.Info(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
