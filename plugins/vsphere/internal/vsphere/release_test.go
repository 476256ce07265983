package vsphere

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// Holds this provider did not make, or made on another vCenter, are refused with a reason, and
// the VM they name is left alone.
func TestReleaseRefusesHoldsItCannotUndo(t *testing.T) {
	sim := startSim(t, 1, 8)
	op := newOperator(t, sim)
	p := configured(t, sim)
	ctx := context.Background()
	if err := powerOff(ctx, op.vm(testVM)); err != nil {
		t.Fatal(err)
	}
	vmID := op.vm(testVM).Reference().Value
	cases := []struct {
		name string
		hold provider.Hold
		want error
		says string
	}{
		{"another vCenter's VM", provider.Hold{Kind: provider.HoldPower, ID: vmID, Data: holdData{VCenter: "another-vcenter", VM: vmID}.encode()}, provider.ErrInvalidArgument, "another-vcenter"},
		{"a kind vSphere never makes", provider.Hold{Kind: provider.HoldSnapshot, ID: "snap-1", Data: holdData{VM: vmID}.encode()}, provider.ErrUnsupported, "snapshot"},
		{"data that is not ours", provider.Hold{Kind: provider.HoldPower, ID: vmID, Data: []byte("not json")}, provider.ErrInvalidArgument, "not this provider's"},
		{"data naming no VM", provider.Hold{Kind: provider.HoldPower, ID: vmID, Data: []byte(`{}`)}, provider.ErrInvalidArgument, "names no VM"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := p.Release(ctx, c.hold)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("Release = %v, want %v saying %q", err, c.want, c.says)
			}
		})
	}
	if got := op.power(testVM); got != types.VirtualMachinePowerStatePoweredOff {
		t.Errorf("a refused release changed the VM to %s", got)
	}
	// The same VM on this vCenter, and one deleted since: released.
	for _, h := range []provider.Hold{
		{Kind: provider.HoldPower, ID: vmID, Data: holdData{VCenter: vcenterID(op.c), VM: vmID}.encode()},
		{Kind: provider.HoldPower, ID: "vm-999999", Data: holdData{VM: "vm-999999"}.encode()},
	} {
		if err := p.Release(ctx, h); err != nil {
			t.Errorf("Release(%s) = %v", h.ID, err)
		}
	}
	if got := op.power(testVM); got != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("after Release the VM is %s, want poweredOn", got)
	}
}

// A resume token written before holds, saying an earlier attempt powered the VM off, still
// decodes: its finished disks are kept, and the power-off becomes a hold this export releases.
func TestLegacyTokenPowerOffBecomesAHold(t *testing.T) {
	sim := startSim(t, 1, 8)
	op := newOperator(t, sim)
	p := connected(t, sim)
	ctx := context.Background()
	old := []byte(`{"powered_off_by_us":true,"disks":{"0":{"file":"x-disk0.vmdk","size":3,"sha256":"abc"}}}`)
	if tok := decodeToken(old); !tok.LegacyPoweredOff || tok.Disks[0].SHA256 != "abc" {
		t.Fatalf("old token decoded as %+v", tok)
	}
	if err := powerOff(ctx, op.vm(testVM)); err != nil {
		t.Fatal(err)
	}
	spec := exportSpec(t, provider.MethodVMDK)
	spec.ResumeToken = old
	w := &witness{Recorder: &providertest.Recorder{}}
	if _, err := p.ExportVM(ctx, spec, w); err != nil {
		t.Fatal(err)
	}
	if len(w.recorded(provider.HoldPower)) != 1 || len(w.Holds()) != 0 {
		t.Errorf("power holds recorded %+v, left %+v; want one, released", w.recorded(provider.HoldPower), w.Holds())
	}
	if got := op.power(testVM); got != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("after the export the VM is %s, want it powered back on", got)
	}
	if cp := string(w.LastCheckpoint()); strings.Contains(cp, "powered_off_by_us") {
		t.Errorf("new checkpoint still carries the old flag: %s", cp)
	}
}

// Release does not queue behind exports holding every pooled session: it logs in one of its own.
func TestReleaseDoesNotWaitForABusyPool(t *testing.T) {
	sim := startSim(t, 1, 8)
	op := newOperator(t, sim)
	settings := simSettings(sim)
	settings["connection_pool_size"] = 1
	p := New()
	cfg, _ := provider.NewConfig(settings)
	ctx := context.Background()
	if err := p.Configure(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	busy, free := make(chan struct{}), make(chan struct{})
	go func() {
		_ = p.pool.do(ctx, func(*conn) error { close(busy); <-free; return nil })
	}()
	<-busy
	defer close(free)
	if err := powerOff(ctx, op.vm(testVM)); err != nil {
		t.Fatal(err)
	}
	vmID := op.vm(testVM).Reference().Value
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := p.Release(rctx, provider.Hold{Kind: provider.HoldPower, ID: vmID, Data: holdData{VM: vmID}.encode()}); err != nil {
		t.Fatalf("Release while the pool is busy = %v", err)
	}
	if got := op.power(testVM); got != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("after Release the VM is %s, want poweredOn", got)
	}
}
