package vsphere

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/hypersdk/hypersdk/plugins/vsphere/internal/vcsim"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// operator is a vCenter session of the test's own, looking at the VMs the way an administrator
// would, apart from the provider's sessions.
type operator struct {
	t *testing.T
	c *conn
}

func newOperator(t *testing.T, sim *vcsim.Simulator) operator {
	t.Helper()
	u := sim.URL()
	u.User = url.UserPassword(sim.Username(), sim.Password())
	client, err := govmomi.NewClient(context.Background(), u, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = client.Logout(context.Background()) })
	return operator{t: t, c: &conn{vim: client.Client}}
}

func (o operator) vm(name string) *object.VirtualMachine {
	o.t.Helper()
	ref, err := resolveVM(context.Background(), o.c, name)
	if err != nil {
		o.t.Fatal(err)
	}
	return object.NewVirtualMachine(o.c.vim, ref)
}

func (o operator) power(name string) types.VirtualMachinePowerState {
	o.t.Helper()
	s, err := o.vm(name).PowerState(context.Background())
	if err != nil {
		o.t.Fatal(err)
	}
	return s
}

// connected is a provider configured for sim and reached through the real gRPC boundary, as
// the daemon reaches a plugin: holds travel over the export stream and wait for its ack.
func connected(t *testing.T, sim *vcsim.Simulator) provider.Provider {
	t.Helper()
	p := plugin.ConnectInProcess(t, New())
	cfg, err := provider.NewConfig(simSettings(sim))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return p
}

// witness is the host's side of an export: a providertest.Recorder that also keeps every hold
// ever recorded and lets a test look at the world at the moment a hold arrives.
type witness struct {
	*providertest.Recorder
	onHold func(provider.Hold)

	mu  sync.Mutex
	all []provider.Hold
}

func (w *witness) Hold(ctx context.Context, h provider.Hold) error {
	if w.onHold != nil {
		w.onHold(h)
	}
	if err := w.Recorder.Hold(ctx, h); err != nil {
		return err
	}
	w.mu.Lock()
	w.all = append(w.all, h)
	w.mu.Unlock()
	return nil
}

func (w *witness) recorded(kind string) []provider.Hold {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []provider.Hold
	for _, h := range w.all {
		if h.Kind == kind {
			out = append(out, h)
		}
	}
	return out
}

func mustData(t *testing.T, h provider.Hold) holdData {
	t.Helper()
	d, err := decodeHoldData(h)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A shutdown_vm export records the power hold while the VM is still on, exports it powered off,
// and at the end powers it back on and releases every hold it made.
func TestShutdownVMExportHoldsPowerAndReleasesIt(t *testing.T) {
	sim := startSim(t, 1, 8)
	op := newOperator(t, sim)
	p := connected(t, sim)
	var (
		mu            sync.Mutex
		atHold        = map[string]types.VirtualMachinePowerState{}
		whileDownload types.VirtualMachinePowerState
		once          sync.Once
	)
	w := &witness{
		Recorder: &providertest.Recorder{OnProgress: func(pr provider.Progress) {
			if pr.Phase == provider.PhaseDownloading {
				once.Do(func() { whileDownload = op.power(testVM) })
			}
		}},
		onHold: func(h provider.Hold) {
			s := op.power(testVM)
			mu.Lock()
			atHold[h.Kind] = s
			mu.Unlock()
		},
	}
	spec := exportSpecWithShutdown(t)
	if _, err := p.ExportVM(context.Background(), spec, w); err != nil {
		t.Fatal(err)
	}
	if atHold[provider.HoldPower] != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("power hold recorded while the VM was %q; it must be recorded before the power-off", atHold[provider.HoldPower])
	}
	if whileDownload != types.VirtualMachinePowerStatePoweredOff {
		t.Errorf("VM was %q while its disks downloaded, want poweredOff", whileDownload)
	}
	power := w.recorded(provider.HoldPower)
	if len(power) != 1 || mustData(t, power[0]).VM == "" || mustData(t, power[0]).VCenter == "" {
		t.Fatalf("power holds = %+v, want one naming the VM and its vCenter", power)
	}
	leases := w.recorded(provider.HoldLease)
	if len(leases) != 2 || leases[0].ID != leases[1].ID || mustData(t, leases[0]).Lease != "" || mustData(t, leases[1]).Lease == "" {
		t.Fatalf("lease holds = %+v, want one recorded before ExportVm and again with the lease id", leases)
	}
	if left := w.Holds(); len(left) != 0 {
		t.Errorf("holds left after a successful export: %+v", left)
	}
	if got := op.power(testVM); got != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("after the export the VM is %s, want it powered back on", got)
	}
}

// A failed or cancelled export leaves its power hold with the host (the VM stays off, so a retry
// exports the same disks), and a fresh plugin process releases it from the hold alone.
func TestFailedExportLeavesPowerHoldForRelease(t *testing.T) {
	sim := startSim(t, 1, 8)
	op := newOperator(t, sim)
	cases := []struct {
		name   string
		faults vcsim.Faults
		cancel bool
	}{
		{"lease expired", vcsim.Faults{ExpireLease: true}, false},
		{"cancelled mid-download", vcsim.Faults{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := connected(t, sim)
			sim.SetFaults(c.faults)
			defer sim.SetFaults(vcsim.Faults{})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w := &witness{Recorder: &providertest.Recorder{OnProgress: func(pr provider.Progress) {
				if c.cancel && pr.Phase == provider.PhaseDownloading {
					cancel()
				}
			}}}
			if _, err := p.ExportVM(ctx, exportSpecWithShutdown(t), w); err == nil {
				t.Fatal("export succeeded")
			}
			held := w.Holds()
			var power []provider.Hold
			for _, h := range held {
				if h.Kind == provider.HoldPower {
					power = append(power, h)
				}
			}
			if len(power) != 1 {
				t.Fatalf("holds left = %+v, want the power hold among them", held)
			}
			if got := op.power(testVM); got != types.VirtualMachinePowerStatePoweredOff {
				t.Fatalf("after the failed export the VM is %s; it stays off until the hold is released", got)
			}
			// The plugin the daemon starts after a crash; the second round finds nothing to do.
			fresh := connected(t, sim)
			for round := 0; round < 2; round++ {
				for _, h := range held {
					if err := fresh.(provider.Releaser).Release(context.Background(), h); err != nil {
						t.Fatalf("round %d: Release(%s/%s) = %v", round, h.Kind, h.ID, err)
					}
				}
				if got := op.power(testVM); got != types.VirtualMachinePowerStatePoweredOn {
					t.Fatalf("round %d: after Release the VM is %s, want poweredOn", round, got)
				}
			}
		})
	}
}

// Release finds nothing to do for a lease that is completed, aborted, never named or gone,
// and aborts one still open.
func TestReleaseLease(t *testing.T) {
	sim := startSim(t, 1, 8)
	settings := simSettings(sim)
	settings["connection_pool_size"] = 1 // a lease lives in its session: Release must use that one
	p := New()
	cfg, _ := provider.NewConfig(settings)
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	w := &witness{Recorder: &providertest.Recorder{}}
	if _, err := p.ExportVM(ctx, exportSpec(t, provider.MethodVMDK), w); err != nil {
		t.Fatal(err)
	}
	completed := w.recorded(provider.HoldLease)[1]
	sim.SetFaults(vcsim.Faults{ExpireLease: true})
	if _, err := p.ExportVM(ctx, exportSpec(t, provider.MethodVMDK), w); err == nil {
		t.Fatal("export with an expired lease succeeded")
	}
	sim.SetFaults(vcsim.Faults{})
	aborted := w.recorded(provider.HoldLease)[3]
	unnamed := w.recorded(provider.HoldLease)[2]

	var open provider.Hold
	var leaseRef types.ManagedObjectReference
	err := p.pool.do(ctx, func(c *conn) error {
		ref, err := resolveVM(ctx, c, testVM)
		if err != nil {
			return err
		}
		lease, err := object.NewVirtualMachine(c.vim, ref).Export(ctx)
		if err != nil {
			return err
		}
		if _, err := lease.Wait(ctx, nil); err != nil {
			return err
		}
		leaseRef = lease.Reference()
		open, err = withLease(leaseHold(c, ref.Value, testVM), leaseRef.Value)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	leaseState := func() (types.HttpNfcLeaseState, error) {
		var l mo.HttpNfcLease
		err := p.pool.do(ctx, func(c *conn) error {
			return property.DefaultCollector(c.vim).RetrieveOne(ctx, leaseRef, []string{"state"}, &l)
		})
		return l.State, err
	}
	if s, err := leaseState(); err != nil || s != types.HttpNfcLeaseStateReady {
		t.Fatalf("lease before Release: %q, %v; want ready", s, err)
	}
	for _, c := range []struct {
		name string
		h    provider.Hold
	}{{"completed", completed}, {"aborted", aborted}, {"never named", unnamed}, {"open", open}, {"open, released again", open}} {
		if err := p.Release(ctx, c.h); err != nil {
			t.Errorf("Release of a %s lease = %v", c.name, err)
		}
	}
	if s, err := leaseState(); !fault.Is(err, &types.ManagedObjectNotFound{}) {
		t.Errorf("lease after Release: %q, %v; want it aborted and gone", s, err)
	}
}

// A host that cannot store a hold stops the export before it changes anything: the VM is never
// powered off and no lease is opened.
func TestRefusedHoldChangesNothing(t *testing.T) {
	sim := startSim(t, 1, 8)
	op := newOperator(t, sim)
	p := connected(t, sim)
	refused := errors.New("the job store is read-only")
	for _, shutdownVM := range []bool{true, false} {
		spec := exportSpec(t, provider.MethodVMDK)
		spec.Options.ShutdownVM = shutdownVM
		rec := &providertest.Recorder{Refuse: refused}
		before := sim.Downloads()
		_, err := p.ExportVM(context.Background(), spec, rec)
		if err == nil || !strings.Contains(err.Error(), refused.Error()) {
			t.Fatalf("shutdown_vm=%v: export = %v, want the host's refusal", shutdownVM, err)
		}
		if got := op.power(testVM); got != types.VirtualMachinePowerStatePoweredOn {
			t.Fatalf("shutdown_vm=%v: the VM is %s after a refused hold; it must never be powered off", shutdownVM, got)
		}
		if sim.Downloads() != before || rec.HoldsRecorded() != 0 {
			t.Errorf("shutdown_vm=%v: %d downloads, %d holds stored after a refused hold", shutdownVM, sim.Downloads()-before, rec.HoldsRecorded())
		}
	}
}

func exportSpecWithShutdown(t *testing.T) provider.ExportSpec {
	s := exportSpec(t, provider.MethodVMDK)
	s.Options.ShutdownVM = true
	return s
}

// A retry that has to power the VM off again does not reuse the disks an earlier attempt read
// before the VM ran again: they would not belong with the disks read now.
func TestShutdownRetryExportsFinishedDisksAgain(t *testing.T) {
	sim := startSim(t, 1, 8)
	p := connected(t, sim)
	spec := exportSpecWithShutdown(t)
	first := &providertest.Recorder{}
	if _, err := p.ExportVM(context.Background(), spec, first); err != nil {
		t.Fatal(err)
	}
	if len(decodeToken(first.LastCheckpoint()).Disks) != 1 {
		t.Fatalf("first export checkpointed %s, want its one disk", first.LastCheckpoint())
	}
	before := sim.Downloads()
	spec.ResumeToken = first.LastCheckpoint()
	if _, err := p.ExportVM(context.Background(), spec, &providertest.Recorder{}); err != nil {
		t.Fatal(err)
	}
	if sim.Downloads() == before {
		t.Error("the retry reused a disk read before the VM was powered on again")
	}
}
