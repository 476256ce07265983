package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hypersdk/hypersdk/core/convert"
	"github.com/hypersdk/hypersdk/core/kvm"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// h2kScratch is the folder, inside the job's claimed output folder, where hyper2kvm writes (its
// --output-dir: the image and its work/ folder) and where a boot disk copied out of an OVA
// waits for it. It goes once the image is in place, and with the rest of the folder if the
// step fails.
const h2kScratch = ".hyper2kvm"

// hyper2kvmStep is direct mode with hyper2kvm installed: hyper2kvm fixes and converts the VM's
// boot disk, our own conversion takes its data disks (hyper2kvm's fixer cannot open a disk
// without an operating system), every image lands in the job's output folder (claimed first)
// as <vm>-disk<i>.<fmt>, and the import step, when planned, defines the VM on them.
type hyper2kvmStep struct{}

func (hyper2kvmStep) Run(ctx context.Context, st *State) (int64, error) {
	if st.Env.KVM.Hyper2KVM == "" {
		// The plan was made while hyper2kvm was installed; it is gone now, and a retry would
		// not bring it back.
		return 0, fmt.Errorf("%w: hyper2kvm is no longer installed at hyper2kvm.path; submit the job again to convert with the built-in pipeline", provider.ErrUnsupported)
	}
	if st.Env.KVM.QemuImg == "" {
		return 0, fmt.Errorf("%w: qemu-img is not installed (apt-get install qemu-utils): direct mode checks hyper2kvm's image and converts data disks with it", provider.ErrUnsupported)
	}
	out, err := ConfinePath(st.Env.KVM.OutputDir, provider.SafeName(st.Result.VM.Name))
	if err != nil {
		return 0, fmt.Errorf("hyper2kvm.output_dir: %w", err)
	}
	if st.Planned(StepImport) {
		if done, err := readyToImport(ctx, st, out); err != nil || done {
			return 0, err
		}
	}
	if err := hyper2kvmConvert(ctx, st, out); err != nil {
		return 0, err
	}
	if !st.Planned(StepImport) {
		releaseLogged(st, out) // the disks are final: no import will follow
	}
	var n int64
	for _, p := range st.Result.Converted {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n, nil
}

// Cleanup removes what hyper2kvm and the conversion wrote for the job: the folder it claimed.
func (hyper2kvmStep) Cleanup(st *State) { abandonConversion(st) }

// readyToImport is what a conversion followed by an import checks first: an earlier attempt of
// the job may have defined the VM already (done: its disks are kept as they are), and otherwise
// the domain's name must be free before anything is written.
func readyToImport(ctx context.Context, st *State, out string) (done bool, err error) {
	name := provider.SafeName(st.Result.VM.Name)
	if done, err := importedEarlier(ctx, st, name, out); err != nil || done {
		return done, err
	}
	if err := kvm.NameFree(ctx, st.Env.KVM.Libvirt, name); errors.Is(err, kvm.ErrExists) {
		return false, fmt.Errorf("%w: import %s: %w", ErrConflict, name, err)
	} else if err != nil {
		return false, fmt.Errorf("import %s: %w", name, err)
	}
	return false, nil
}

// hyper2kvmConvert converts every disk of the export into out, a folder the job claims first:
// the boot disk through hyper2kvm, then each data disk with qemu-img. Converted lists the
// images in disk order.
func hyper2kvmConvert(ctx context.Context, st *State, out string) error {
	exp, err := exportDisks(ctx, st)
	if err != nil {
		return err
	}
	if len(exp.Disks) == 0 {
		return fmt.Errorf("%w: the export of %s holds no disk", provider.ErrInvalidArgument, st.Result.VM.Name)
	}
	if err := claim(st, out); err != nil {
		return err
	}
	// The provider's picture of the VM (MACs, networks, firmware from its API) beats what a
	// descriptor says, as long as they agree on the disks.
	if len(st.Result.VM.Disks) != len(exp.Disks) {
		st.Result.VM = exp.VM
	}
	st.Result.Converted = nil
	format := conversionFormat(st)
	base := provider.SafeName(st.Result.VM.Name)
	boot := st.Result.VM.BootDisk()
	outputs := make([]string, len(exp.Disks))
	for i, src := range exp.Disks {
		target := filepath.Join(out, fmt.Sprintf("%s-disk%d.%s", base, i, format))
		if i == boot {
			if err := hyper2kvmBootDisk(ctx, st, exp, boot, out, target, format); err != nil {
				return err
			}
		} else {
			st.Log.Info("data disk: converting it with qemu-img, not hyper2kvm, whose fixer cannot open a disk without an operating system",
				"disk", i, "source", src.String(), "output", target, "format", format)
			if err := convertDataDisk(ctx, st, i, src, target, format); err != nil {
				return fmt.Errorf("convert data disk %d: %w", i, err)
			}
		}
		outputs[i] = target
	}
	st.Result.Converted = outputs
	st.Log.Info("conversion finished", "disks", len(outputs), "boot_disk", boot, "output_dir", out)
	return nil
}

// hyper2kvmBootDisk runs hyper2kvm on the boot disk with its output in out's scratch folder,
// and moves the image it names (and nothing of its work/ folder) to target once qemu-img
// agrees it is a whole image of the boot disk's size in the wanted format.
func hyper2kvmBootDisk(ctx context.Context, st *State, exp convert.Export, boot int, out, target, format string) error {
	src := exp.Disks[boot]
	info, err := convert.Inspect(ctx, st.Env.KVM.QemuImg, src)
	if err != nil {
		return fmt.Errorf("boot disk %d: %w", boot, err)
	}
	scratch := filepath.Join(out, h2kScratch)
	input := filepath.Join(scratch, "input")
	if err := os.RemoveAll(scratch); err != nil {
		return fmt.Errorf("clear hyper2kvm's scratch folder: %w", err)
	}
	if err := os.MkdirAll(input, 0o750); err != nil {
		return fmt.Errorf("create hyper2kvm's scratch folder: %w", err)
	}
	op, in, err := hyper2kvmInput(ctx, exp, boot, exportSource(st), input)
	if err != nil {
		return err
	}
	run := hyper2kvmRun{Op: op, Input: in, OutDir: scratch, Name: filepath.Base(target), Format: format}
	st.Track(provider.Progress{Phase: StageConverting, Disk: 1000 + boot, DiskName: run.Name, BytesTotal: info.VirtualSize})
	if err := runHyper2KVMCLI(ctx, st.Env.KVM.Hyper2KVM, run, st.Log.With("disk", boot)); err != nil {
		return fmt.Errorf("boot disk %d: %w", boot, err)
	}
	image := filepath.Join(scratch, run.Name)
	if _, err := os.Stat(image); err != nil {
		return fmt.Errorf("boot disk %d: hyper2kvm exited 0 but wrote no %s in %s: %w", boot, run.Name, scratch, err)
	}
	if err := convert.Adopt(ctx, st.Env.KVM.QemuImg, image, format, info.VirtualSize, target); err != nil {
		return fmt.Errorf("boot disk %d: hyper2kvm's image: %w", boot, err)
	}
	if err := os.RemoveAll(scratch); err != nil {
		return fmt.Errorf("remove hyper2kvm's work folder: %w", err)
	}
	st.Log.Info("boot disk fixed and converted by hyper2kvm; image checked with qemu-img and moved into place", "disk", boot, "output", target)
	reportConverted(st, boot, target, info.VirtualSize)
	return nil
}

// convertDataDisk converts data disk i with qemu-img, as the convert step converts any disk.
func convertDataDisk(ctx context.Context, st *State, i int, src convert.Source, target, format string) error {
	info, err := convert.Inspect(ctx, st.Env.KVM.QemuImg, src)
	if err != nil {
		return err
	}
	total := info.VirtualSize
	err = convert.Convert(ctx, st.Env.KVM.QemuImg, src, target, convert.Options{Format: format, Compress: st.Env.KVM.Compression}, func(pct float64) {
		st.Track(provider.Progress{Phase: StageConverting, Disk: 1000 + i, DiskName: filepath.Base(target),
			BytesDone: int64(pct / 100 * float64(total)), BytesTotal: total})
	})
	if err != nil {
		return err
	}
	reportConverted(st, i, target, total)
	return nil
}
