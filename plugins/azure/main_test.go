package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/azure/internal/armstandin"
	"github.com/hypersdk/hypersdk/plugins/azure/internal/azurite"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// standIn is the ARM stand-in over a real Azurite with one running VM of one 4 MiB disk
// holding data at its start and end, and the settings that point the plugin at it.
func standIn(t *testing.T) (*armstandin.Server, map[string]any) {
	t.Helper()
	az := azurite.Start(t)
	srv := armstandin.Start(t, armstandin.Options{Token: "tok", Blob: az})
	data := map[int64][]byte{0: make([]byte, 1<<20), 3 << 20: make([]byte, 1<<20)}
	for _, b := range data {
		for i := range b {
			b[i] = byte(i%251) + 1
		}
	}
	srv.AddDisk(armstandin.Disk{ResourceGroup: "rg", Name: "vm1-os", Location: "westeurope", SizeBytes: 4 << 20, Data: data})
	srv.AddVM(armstandin.VM{ResourceGroup: "rg", Name: "vm1", Location: "westeurope", Size: "Standard_B2s", Power: "running", OSType: "Linux", OSDisk: "vm1-os"})
	return srv, map[string]any{"subscription_id": srv.Subscription(), "credential": "access_token", "access_token": "tok",
		"resource_manager_endpoint": srv.URL(), "poll_interval": "10ms", "chunk_size_mb": 1, "download_workers": 2}
}

// The built plugin binary passes the conformance suite.
func TestBinaryConformance(t *testing.T) {
	_, settings := standIn(t)
	providertest.Run(t, plugin.Launch(t, buildPlugin(t)), providertest.Suite{Settings: settings, ExportVMID: "rg/vm1", Method: provider.MethodRaw})
}

// A plugin killed -9 mid-export leaves its snapshot and grant; the holds it recorded first are
// all a fresh plugin process needs to revoke the grant and delete the snapshot.
func TestKilledPluginLeavesHoldsThatAFreshOneReleases(t *testing.T) {
	srv, settings := standIn(t)
	bin := buildPlugin(t)
	first, kill := launch(t, bin, settings)
	var once sync.Once
	rec := &providertest.Recorder{OnProgress: func(p provider.Progress) {
		if p.Phase == provider.PhaseDownloading {
			once.Do(kill)
		}
	}}
	if _, err := first.ExportVM(context.Background(), provider.ExportSpec{JobID: "crash", VMID: "rg/vm1", Method: provider.MethodRaw, Dir: t.TempDir()}, rec); err == nil {
		t.Fatal("the export of a killed plugin succeeded")
	}
	held := rec.Holds()
	if len(held) != 2 || len(srv.Snapshots()) != 1 {
		t.Fatalf("holds %+v, snapshots %v: want a snapshot and a grant held and made", held, srv.Snapshots())
	}
	second, _ := launch(t, bin, settings)
	for i := len(held) - 1; i >= 0; i-- {
		if err := second.(provider.Releaser).Release(context.Background(), held[i]); err != nil {
			t.Fatalf("fresh plugin: Release(%s %s) = %v", held[i].Kind, held[i].ID, err)
		}
	}
	if snaps := srv.Snapshots(); len(snaps) != 0 {
		t.Fatalf("snapshots after the fresh plugin released the holds: %v", snaps)
	}
}

func buildPlugin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hypersdk-provider-azure")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// launch starts the plugin binary, configured with settings, and returns a kill -9 of it.
func launch(t *testing.T, bin string, settings map[string]any) (provider.Provider, func()) {
	t.Helper()
	p, kill := plugin.LaunchKillable(t, bin)
	cfg, err := provider.NewConfig(settings)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return p, kill
}
