package main

import (
	"context"
	"net/url"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/hypersdk/hypersdk/plugins/vsphere/internal/vcsim"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// A plugin killed -9 mid-export (no drain, no deferred power-on) leaves the VM it powered off;
// the holds it recorded first are all a fresh plugin process needs to power the VM on again.
func TestKilledPluginLeavesHoldsThatAFreshOneReleases(t *testing.T) {
	providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils; make test installs it")
	bin := buildPlugin(t)
	ctx := context.Background()
	sim, err := vcsim.Start(ctx, vcsim.Options{VMs: 1, DiskBytes: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	settings := map[string]any{"host": sim.URL().String(), "username": sim.Username(), "password": sim.Password(), "insecure": true}
	const vmName = "DC0_C0_RP0_VM0"

	first, kill := launch(t, bin, settings)
	var once sync.Once
	rec := &providertest.Recorder{OnProgress: func(p provider.Progress) {
		if p.Phase == provider.PhaseDownloading {
			once.Do(kill)
		}
	}}
	spec := provider.ExportSpec{JobID: "crash", VMID: vmName, Method: provider.MethodVMDK, Dir: t.TempDir(), ChunkSize: 64 << 10, MaxRetries: 1,
		Options: provider.ExportOptions{ShutdownVM: true}}
	if _, err := first.ExportVM(ctx, spec, rec); err == nil {
		t.Fatal("export of a killed plugin succeeded")
	}
	if got := powerState(t, sim, vmName); got != types.VirtualMachinePowerStatePoweredOff {
		t.Fatalf("the killed export left the VM %s; the test needs it off", got)
	}
	held := map[string]provider.Hold{}
	for _, h := range rec.Holds() {
		held[h.Kind] = h
	}
	if len(held) != 2 || held[provider.HoldPower].ID == "" || held[provider.HoldLease].ID == "" {
		t.Fatalf("holds left by the killed plugin = %+v, want a power and a lease hold", rec.Holds())
	}

	second, _ := launch(t, bin, settings)
	for _, h := range rec.Holds() {
		if err := second.(provider.Releaser).Release(ctx, h); err != nil {
			t.Fatalf("fresh plugin: Release(%s/%s) = %v", h.Kind, h.ID, err)
		}
	}
	if got := powerState(t, sim, vmName); got != types.VirtualMachinePowerStatePoweredOn {
		t.Fatalf("after the fresh plugin released the holds the VM is %s, want poweredOn", got)
	}
}

func buildPlugin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hypersdk-provider-vsphere")
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

// powerState reads a VM's power state through a vCenter session of the test's own.
func powerState(t *testing.T, sim *vcsim.Simulator, name string) types.VirtualMachinePowerState {
	t.Helper()
	ctx := context.Background()
	u := sim.URL()
	u.User = url.UserPassword(sim.Username(), sim.Password())
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Logout(ctx)
	vm, err := find.NewFinder(c.Client, true).VirtualMachine(ctx, "/DC0/vm/"+name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := vm.PowerState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
