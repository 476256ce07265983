package pipeline

import (
	"context"
	"fmt"

	"github.com/hypersdk/hypersdk/core/handoff"
)

// handOffStep hands the export to the hyper2kvm daemon (daemon_mode): its manifest goes into
// the instance's watch directory, and the job follows the answer after it completes.
type handOffStep struct{ noCleanup }

func (handOffStep) Run(ctx context.Context, st *State) (int64, error) {
	return 0, handOff(ctx, st)
}

// handOff writes the hyper2kvm manifest for this export into the instance's watch directory.
func handOff(ctx context.Context, st *State) error {
	instance := st.Spec.Hyper2KVM.Instance
	if instance == "" {
		instance = st.Spec.Provider
	}
	state := handoff.ServiceState(ctx, st.Env.KVM.Systemctl, instance)
	path, err := handoff.Write(st.Env.KVM.WatchDir, instance, handoff.Manifest{
		JobID: st.JobID, VMName: st.Result.VM.Name, Provider: st.Spec.Provider, Source: exportSource(st),
		ExportDir: st.ExportDir, Format: st.Env.KVM.DefaultFormat, Compression: st.Env.KVM.Compression,
		OutputDir: st.Env.KVM.OutputDir, VM: st.Result.VM, Disks: manifestDisks(st), Producer: "hypervisord " + st.Env.KVM.Version,
	})
	if err != nil {
		return fmt.Errorf("hand off to hyper2kvm@%s: %w", instance, err)
	}
	st.Result.Handoff, st.Result.HandoffService, st.Result.HandoffStatus = path, state, HandoffWaiting
	if state != handoff.Active {
		st.Log.Warn("hyper2kvm daemon is not active; the manifest waits in its watch directory", "service", handoff.Unit(instance), "state", state, "manifest", path)
	} else {
		st.Log.Info("export handed to hyper2kvm", "service", handoff.Unit(instance), "manifest", path)
	}
	return nil
}

// manifestDisks lists the export's verified files for the hand-off manifest.
func manifestDisks(st *State) []handoff.Disk {
	var out []handoff.Disk
	for _, a := range st.Result.Artifacts {
		out = append(out, handoff.Disk{Path: a.Path, Format: a.Format, Size: a.Size, SHA256: a.SHA256})
	}
	return out
}
