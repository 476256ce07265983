package vsphere

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vmware/govmomi/vim25/types"

	"github.com/hypersdk/hypersdk/plugins/vsphere/internal/vcsim"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// connectedWith is connected with settings of the test's own on top of the simulator's.
func connectedWith(t *testing.T, sim *vcsim.Simulator, extra map[string]any) provider.Provider {
	t.Helper()
	settings := simSettings(sim)
	for k, v := range extra {
		settings[k] = v
	}
	p := plugin.ConnectInProcess(t, New())
	cfg, err := provider.NewConfig(settings)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return p
}

// waitPower waits up to a few seconds for the VM to reach want.
func (o operator) waitPower(name string, want types.VirtualMachinePowerState) {
	o.t.Helper()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if o.power(name) == want {
			return
		}
	}
	o.t.Fatalf("VM %s did not become %s", name, want)
}

// An export cancelled while the guest shuts down leaves its power hold, and Release does not
// call it released while the VM is still on: the guest is still going down. Once the guest is
// off, Release powers the VM on; released again, it finds nothing to do.
func TestCancelDuringGuestShutdownReleasesOnceTheGuestIsOff(t *testing.T) {
	const guestTakes = 4 * time.Second
	sim := startSim(t, 1, 8)
	op := newOperator(t, sim)
	p := connectedWith(t, sim, map[string]any{"shutdown_timeout": "1m"})
	sim.SetFaults(vcsim.Faults{GuestShutdown: guestTakes})
	defer sim.SetFaults(vcsim.Faults{})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	asked := sim.GuestShutdowns()
	go func() { // cancel as soon as the guest has been asked, while the export polls
		for sim.GuestShutdowns() == asked && ctx.Err() == nil {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	w := &witness{Recorder: &providertest.Recorder{}}
	if _, err := p.ExportVM(ctx, exportSpecWithShutdown(t), w); !errors.Is(err, context.Canceled) {
		t.Fatalf("export = %v, want it cancelled", err)
	}
	held := w.Holds()
	if len(held) != 1 || held[0].Kind != provider.HoldPower {
		t.Fatalf("holds left = %+v, want only the power hold", held)
	}
	d := mustData(t, held[0])
	if d.ShutdownAt.IsZero() || d.ShutdownBy.Sub(d.ShutdownAt) != time.Minute+shutdownGrace {
		t.Fatalf("power hold data %+v: want the time the guest was asked and a deadline shutdown_timeout+%s later", d, shutdownGrace)
	}
	if got := op.power(testVM); got != types.VirtualMachinePowerStatePoweredOn || time.Since(start) > guestTakes/2 {
		t.Fatalf("the VM is %s %s after the export started; the guest takes %s to go down, so Release could not be tried while it does",
			got, time.Since(start), guestTakes)
	}

	fresh := connected(t, sim).(provider.Releaser) // as after a daemon restart
	err := fresh.Release(context.Background(), held[0])
	if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "may still be shutting down") {
		t.Fatalf("Release while the guest shuts down = %v, want ErrUnavailable saying it may still be shutting down", err)
	}
	op.waitPower(testVM, types.VirtualMachinePowerStatePoweredOff) // the guest finishes going down
	for round := 0; round < 2; round++ {
		if err := fresh.Release(context.Background(), held[0]); err != nil {
			t.Fatalf("round %d: Release once the guest is off = %v", round, err)
		}
		if got := op.power(testVM); got != types.VirtualMachinePowerStatePoweredOn {
			t.Fatalf("round %d: after Release the VM is %s, want poweredOn", round, got)
		}
	}
}

// Release of a power hold by the VM's state, its boot time and the hold's deadline.
func TestReleasePowerHoldByDeadline(t *testing.T) {
	sim := startSim(t, 1, 8)
	op := newOperator(t, sim)
	p := configured(t, sim)
	ctx := context.Background()
	vmID := op.vm(testVM).Reference().Value
	on, off := types.VirtualMachinePowerStatePoweredOn, types.VirtualMachinePowerStatePoweredOff
	cases := []struct {
		name  string
		state types.VirtualMachinePowerState
		// asked and by are the hold's ShutdownAt and ShutdownBy from vCenter's time now; no
		// shutdown fields at all when legacy.
		asked, by time.Duration
		legacy    bool
		// rebooted: powered off and on again after the shutdown was asked; bootedBefore: just
		// before it was asked.
		rebooted, bootedBefore bool
		wantRetry              bool
	}{
		{name: "on before the deadline: the guest may still be going down", state: on, by: time.Hour, wantRetry: true, bootedBefore: true},
		{name: "on past the deadline: the guest refused", state: on, asked: -time.Hour, by: -time.Minute},
		{name: "on again since the shutdown was asked: released before the deadline", state: on, by: time.Hour, rebooted: true},
		{name: "off before the deadline: powered on", state: off, by: time.Hour},
		{name: "off past the deadline: powered on", state: off, asked: -time.Hour, by: -time.Minute},
		{name: "on, a hold without a deadline (older plugin)", state: on, legacy: true},
		{name: "off, a hold without a deadline (older plugin)", state: off, legacy: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.bootedBefore {
				reboot(t, op)
			}
			if op.power(testVM) != c.state {
				set := powerOn
				if c.state == off {
					set = powerOff
				}
				if err := set(ctx, op.vm(testVM)); err != nil {
					t.Fatal(err)
				}
			}
			now, err := vcenterTime(ctx, op.c)
			if err != nil {
				t.Fatal(err)
			}
			d := holdData{VCenter: vcenterID(op.c), VM: vmID}
			if !c.legacy {
				d.ShutdownAt, d.ShutdownBy = now.Add(c.asked), now.Add(c.by)
			}
			if c.rebooted {
				reboot(t, op)
			}
			err = p.Release(ctx, provider.Hold{Kind: provider.HoldPower, ID: vmID, Data: d.encode()})
			switch {
			case c.wantRetry && !errors.Is(err, provider.ErrUnavailable):
				t.Fatalf("Release = %v, want ErrUnavailable (the host retries)", err)
			case !c.wantRetry && err != nil:
				t.Fatalf("Release = %v, want released", err)
			}
			if got := op.power(testVM); got != on {
				t.Errorf("after Release the VM is %s, want poweredOn", got)
			}
		})
	}
}

// reboot powers the VM off and on again.
func reboot(t *testing.T, op operator) {
	t.Helper()
	ctx := context.Background()
	if err := powerOff(ctx, op.vm(testVM)); err != nil {
		t.Fatal(err)
	}
	if err := powerOn(ctx, op.vm(testVM)); err != nil {
		t.Fatal(err)
	}
}

// cancelAtCheckpoint cancels the export once the host has stored its first checkpoint.
type cancelAtCheckpoint struct {
	*witness
	cancel context.CancelFunc
}

func (c cancelAtCheckpoint) Checkpoint(ctx context.Context, token []byte) error {
	err := c.witness.Checkpoint(ctx, token)
	c.cancel()
	return err
}

// The host keeps a job's holds between its attempts. A shutdown_vm retry that finds the VM still
// off under the earlier attempt's power hold records no second hold, leaves the VM off (the
// earlier hold powers it on when the job ends) and downloads only the disks the earlier attempt
// did not finish: the VM has not run since, so those still match.
func TestRetryUnderEarlierPowerHoldSkipsFinishedDisks(t *testing.T) {
	needQemuImg(t)
	const disks = 2
	sim, err := vcsim.Start(context.Background(), vcsim.Options{VMs: 1, DiskBytes: 4 << 20, DisksPerVM: disks})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	op := newOperator(t, sim)
	settings := simSettings(sim)
	settings["download_workers"] = 1 // one disk at a time: the first checkpoint ends the attempt
	p := New()
	cfg, _ := provider.NewConfig(settings)
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	spec := exportSpecWithShutdown(t)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := &witness{Recorder: &providertest.Recorder{}}
	if _, err := p.ExportVM(ctx, spec, cancelAtCheckpoint{first, cancel}); err == nil {
		t.Fatal("first attempt succeeded; it was cancelled after its first disk")
	}
	if n := len(decodeToken(first.LastCheckpoint()).Disks); n != 1 {
		t.Fatalf("first attempt checkpointed %d disks, want 1", n)
	}
	var earlier []provider.Hold
	for _, h := range first.Holds() {
		if h.Kind == provider.HoldPower {
			earlier = append(earlier, h)
		}
	}
	if len(earlier) != 1 || op.power(testVM) != types.VirtualMachinePowerStatePoweredOff {
		t.Fatalf("after the first attempt: power holds %+v, VM %s; want one hold, the VM off", earlier, op.power(testVM))
	}

	spec.ResumeToken = first.LastCheckpoint()
	before := sim.Downloads()
	retry := &witness{Recorder: &providertest.Recorder{}}
	res, err := p.ExportVM(context.Background(), spec, retry)
	if err != nil {
		t.Fatal(err)
	}
	if got := sim.Downloads() - before; got != disks-1 {
		t.Errorf("the retry made %d download requests, want %d (the disk not finished)", got, disks-1)
	}
	if power := retry.recorded(provider.HoldPower); len(power) != 0 {
		t.Errorf("the retry recorded power holds %+v beside the earlier attempt's", power)
	}
	if left := retry.Holds(); len(left) != 0 {
		t.Errorf("the retry left holds %+v", left)
	}
	if got := op.power(testVM); got != types.VirtualMachinePowerStatePoweredOff {
		t.Errorf("after the retry the VM is %s; it stays off under the earlier hold until the job ends", got)
	}
	n := 0
	for _, a := range res.Artifacts {
		if a.Kind != provider.KindDisk {
			continue
		}
		n++
		raw, err := sim.RawDisk(testVM, a.Disk)
		if err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("qemu-img", "compare", "-f", "vmdk", "-F", "raw", filepath.Join(spec.Dir, a.Path), raw).CombinedOutput(); err != nil {
			t.Errorf("disk %d differs from its source: %v %s", a.Disk, err, out)
		}
	}
	if n != disks {
		t.Fatalf("the retry has %d disks, want %d: %+v", n, disks, res.Artifacts)
	}
	// The job ends: the host releases the earlier attempt's hold.
	if err := p.Release(context.Background(), earlier[0]); err != nil {
		t.Fatal(err)
	}
	if got := op.power(testVM); got != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("after the job's release the VM is %s, want poweredOn", got)
	}
}
