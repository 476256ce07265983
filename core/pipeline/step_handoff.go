package pipeline

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/hypersdk/hypersdk/core/handoff"
	"github.com/hypersdk/hypersdk/core/logging"
	"github.com/hypersdk/hypersdk/sdk/diskfile"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// handOffStep hands the export to hyper2kvm's manifest workflow daemon (daemon_mode): an
// Artifact Manifest v1.0 goes into to_be_processed/ of the instance's workflow directory, and
// core/jobs follows it through hyper2kvm's folders after the job completes.
type handOffStep struct{ noCleanup }

func (handOffStep) Run(ctx context.Context, st *State) (int64, error) {
	return 0, handOff(ctx, st)
}

// handOff writes the manifest, unless an earlier run of this step (cut off by a crash) already
// did: hyper2kvm may have taken that one, and a second would be converted a second time.
func handOff(ctx context.Context, st *State) error {
	instance := st.Spec.Hyper2KVM.Instance
	if instance == "" {
		instance = st.Spec.Provider
	}
	dir, err := handoff.WorkflowDir(st.Env.KVM.WatchDir, instance)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	state := handoff.ServiceState(ctx, st.Env.KVM.Systemctl, instance)
	version := handoff.Version(ctx, st.Env.KVM.Hyper2KVM)
	found, err := handoff.Locate(dir, st.JobID, st.Env.KVM.OutputDir, now)
	if err != nil {
		return fmt.Errorf("hand off to %s: %w", handoff.Unit(instance), err)
	}
	path := found.Path
	if found.State == handoff.StateMissing {
		in, err := handoffInput(st, now)
		if err != nil {
			return fmt.Errorf("hand off to %s: %w", handoff.Unit(instance), err)
		}
		m, err := handoff.Build(in)
		if err != nil {
			return err
		}
		if path, err = handoff.Submit(dir, st.JobID, m); err != nil {
			return fmt.Errorf("hand off to %s: %w", handoff.Unit(instance), err)
		}
	} else {
		st.Log.Info("the manifest an earlier run wrote is still with hyper2kvm; not writing another", "manifest", path, "hyper2kvm_status", found.State)
	}
	r := st.Result
	r.Handoff, r.HandoffDir, r.HandoffService, r.HandoffVersion, r.HandoffStatus, r.HandoffAt = path, dir, state, version, HandoffWaiting, &now
	installed := version
	if installed == "" {
		installed = "not installed at hyper2kvm.path"
	}
	if state != handoff.Active {
		st.Log.Warn("hyper2kvm's workflow daemon is not active; the manifest waits in to_be_processed/ until it starts or hyper2kvm.job_timeout passes",
			"service", handoff.Unit(instance), "state", state, "hyper2kvm_version", installed, "manifest", path)
	} else {
		st.Log.Info("export handed to hyper2kvm", "service", handoff.Unit(instance), "state", state, "hyper2kvm_version", installed, "manifest", path)
	}
	return nil
}

// handoffInput gathers the manifest's content: the disks as files hyper2kvm opens, where it
// writes, and what its
// workflow daemon loads — the .ovf of an ovf export, the OVF package unpacked from an ova
// export (hyper2kvm cannot open a disk inside a tar), the boot disk of a vmdk export.
func handoffInput(st *State, now time.Time) (handoff.Input, error) {
	name := st.Result.VM.Name
	if name == "" {
		name = st.Spec.VMIdentifier
	}
	// hyper2kvm names each converted disk <disk id>.<format> in output.directory, so every job
	// gets a folder of its own: <output_dir>/<vm>/<job id>.
	out, err := filepath.Abs(st.Env.KVM.OutputDir)
	if err != nil {
		return handoff.Input{}, fmt.Errorf("hyper2kvm.output_dir: %w", err)
	}
	in := handoff.Input{
		JobID: st.JobID, Provider: st.Spec.Provider, Method: st.Spec.ExportMethod, VM: st.Result.VM,
		OutputDir: filepath.Join(out, provider.SafeName(name), st.JobID), Format: st.Env.KVM.DefaultFormat, Compress: st.Env.KVM.Compression,
		ExportedAt: now, Producer: "hypervisord " + st.Env.KVM.Version,
	}
	if st.Spec.ExportMethod == provider.MethodOVA {
		var sum string
		for _, a := range st.Result.Artifacts {
			if a.Path == st.Result.OVA {
				sum = a.SHA256
			}
		}
		pkg, err := handoff.ExtractOVA(st.Result.OVA, sum, handoff.ExtractDir(st.ExportDir, st.JobID))
		if err != nil {
			return in, err
		}
		st.Log.Info("OVA unpacked for hyper2kvm; the copy goes once hyper2kvm has converted it", logging.Present("folder", handoff.ExtractDir(st.ExportDir, st.JobID), "disks", len(pkg.Disks))...)
		in.Disks, in.Load = pkg.Disks, handoff.Load{SourceType: provider.MethodOVF, SourcePath: pkg.Descriptor}
		return in, nil
	}
	for _, a := range st.Result.Artifacts {
		switch a.Kind {
		case provider.KindDescriptor:
			in.Load = handoff.Load{SourceType: provider.MethodOVF, SourcePath: a.Path}
		case provider.KindDisk:
			sum := a.SHA256
			if sum == "" { // verified by its extents: hash it whole once, for hyper2kvm's loader
				var err error
				if sum, _, err = diskfile.SHA256(a.Path); err != nil {
					return in, fmt.Errorf("checksum of %s for hyper2kvm: %w", a.Path, err)
				}
			}
			in.Disks = append(in.Disks, handoff.DiskFile{Disk: a.Disk, Path: a.Path, Format: a.Format, Size: a.Size, SHA256: sum})
		}
	}
	return in, nil
}
