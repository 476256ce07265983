package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/hypersdk/hypersdk/core/convert"
	"github.com/hypersdk/hypersdk/core/kvm"
	"github.com/hypersdk/hypersdk/core/logging"
	"github.com/hypersdk/hypersdk/core/metrics"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// convertStep converts the job's disks into its output folder (claimed first). With an
// import to follow, the domain name is checked before anything is written — and a domain an
// interrupted attempt of this job defined is recognised and kept.
type convertStep struct{}

func (convertStep) Run(ctx context.Context, st *State) (int64, error) {
	source, out, format, compress, err := conversionOf(st)
	if err != nil {
		return 0, err
	}
	if st.Kind == KindExport && st.Spec.Hyper2KVM.Enabled && st.Spec.Hyper2KVM.AutoConvert {
		st.Log.Info("hyper2kvm is not installed at hyper2kvm.path; converting with the built-in pipeline (qemu-img, domain XML, libvirt)")
	}
	if st.Planned(StepImport) {
		name := provider.SafeName(st.Result.VM.Name)
		if done, err := importedEarlier(ctx, st, name, out); err != nil || done {
			return 0, err
		}
		if err := kvm.NameFree(ctx, st.Env.KVM.Libvirt, name); errors.Is(err, kvm.ErrExists) {
			return 0, fmt.Errorf("%w: import %s: %w", ErrConflict, name, err)
		} else if err != nil {
			return 0, fmt.Errorf("import %s: %w", name, err)
		}
	}
	if err := convertExport(ctx, st, source, out, format, compress); err != nil {
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

// Cleanup removes what a failed or cancelled conversion wrote into the folder the job claimed,
// and only if the claim is the job's.
func (convertStep) Cleanup(st *State) { abandonConversion(st) }

// conversionOf says what the convert step reads and writes: a /convert job's request, or the
// export into <hyper2kvm.output_dir>/<vm>.
func conversionOf(st *State) (source, out, format string, compress bool, err error) {
	if st.Kind == KindConvert {
		c := st.ConvertSpec
		return c.SourcePath, c.OutputPath, c.Format, c.Compress, nil
	}
	out, err = ConfinePath(st.Env.KVM.OutputDir, provider.SafeName(st.Result.VM.Name))
	if err != nil {
		return "", "", "", false, fmt.Errorf("hyper2kvm.output_dir: %w", err)
	}
	return exportSource(st), out, conversionFormat(st), st.Env.KVM.Compression, nil
}

// conversionFormat is the format the convert step writes: a raw or qcow2 export's own, the
// import block's, or hyper2kvm.default_format.
func conversionFormat(st *State) string {
	if st.Kind == KindExport && IsImageMethod(st.Spec.ExportMethod) {
		return st.Spec.ExportMethod
	}
	if st.Spec.Import != nil && st.Spec.Import.Format != "" {
		return st.Spec.Import.Format
	}
	return st.Env.KVM.DefaultFormat
}

// exportSource is the file conversion reads: the OVA, the OVF, or the single VMDK.
func exportSource(st *State) string {
	if st.Result.OVA != "" {
		return st.Result.OVA
	}
	for _, a := range st.Result.Artifacts {
		if a.Kind == provider.KindDescriptor {
			return a.Path
		}
	}
	for _, a := range st.Result.Artifacts {
		if a.Kind == provider.KindDisk {
			return a.Path
		}
	}
	return ""
}

// loadExport finds the job's disks and VM picture. An OVF export that is kept is read as a
// user would (its OVA, OVF or disk); one that is not (keep_export: false) was never packaged,
// and a raw or qcow2 export has no descriptor: its disks are the files the job's result lists,
// in disk order — a disk the provider kept only as a converted image has an empty Source.
func loadExport(ctx context.Context, st *State, source string) (convert.Export, error) {
	images := st.Kind == KindExport && IsImageMethod(st.Spec.ExportMethod)
	if st.Kind != KindExport || st.Spec.Hyper2KVM.Keep() && !images || st.Result == nil {
		exp, err := convert.LoadExport(ctx, st.Env.KVM.QemuImg, source)
		if err != nil {
			return exp, fmt.Errorf("read export %s: %w", source, err)
		}
		return exp, nil
	}
	exp := convert.Export{VM: st.Result.VM, Disks: make([]convert.Source, len(st.Result.VM.Disks))}
	for _, a := range st.Result.Artifacts {
		if a.Kind == provider.KindDisk && a.Disk >= 0 && a.Disk < len(exp.Disks) {
			exp.Disks[a.Disk] = convert.Source{Path: a.Path, Format: qemuDriver(a.Format), Name: filepath.Base(a.Path)}
		}
	}
	return exp, nil
}

// convertExport converts every disk of the export at source into outDir, with progress.
func convertExport(ctx context.Context, st *State, source, outDir, format string, compress bool) error {
	if st.Env.KVM.QemuImg == "" {
		return fmt.Errorf("%w: qemu-img is not installed (apt-get install qemu-utils)", provider.ErrUnsupported)
	}
	exp, err := loadExport(ctx, st, source)
	if err != nil {
		return err
	}
	if err := claim(st, outDir); err != nil {
		return err
	}
	if st.Result == nil {
		st.Result = &Result{}
	}
	// The provider's picture of the VM (MACs, networks, firmware from its API) beats what a
	// descriptor or a bare disk says; a conversion job of a file has only the latter.
	if len(st.Result.VM.Disks) != len(exp.Disks) {
		st.Result.VM = exp.VM
	}
	st.Result.Converted = nil
	base := provider.SafeName(st.Result.VM.Name)
	// Disks convert in parallel, one qemu-img per core: each is mostly single-threaded.
	outputs := make([]string, len(exp.Disks))
	errs := make([]error, len(exp.Disks))
	sem := make(chan struct{}, max(runtime.NumCPU(), 1))
	var wg sync.WaitGroup
	for i, src := range exp.Disks {
		out := filepath.Join(outDir, fmt.Sprintf("%s-disk%d.%s", base, i, format))
		total := st.Result.VM.Disks[i].CapacityBytes
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if total > 0 && (adoptStreamed(ctx, st, i, src, format, total, out) || adoptExported(ctx, st, i, src, format, total, out)) {
				outputs[i] = out
				reportConverted(st, i, out, total)
				return
			}
			if src.Path == "" {
				errs[i] = fmt.Errorf("the provider kept neither the disk nor a usable converted image of it")
				return
			}
			st.Log.Info("converting disk", "disk", i, "source", source, "output", out, "format", format)
			errs[i] = convert.Convert(ctx, st.Env.KVM.QemuImg, src, out, convert.Options{Format: format, Compress: compress}, func(pct float64) {
				st.Track(provider.Progress{Phase: StageConverting, Disk: 1000 + i, DiskName: filepath.Base(out),
					BytesDone: int64(pct / 100 * float64(total)), BytesTotal: total})
			})
			if errs[i] == nil {
				outputs[i] = out
				reportConverted(st, i, out, total)
			}
		}()
	}
	wg.Wait()
	dropStreamed(st)
	for i, out := range outputs {
		if out != "" {
			st.Result.Converted = append(st.Result.Converted, out)
		}
		if errs[i] != nil && err == nil {
			err = fmt.Errorf("convert disk %d: %w", i, errs[i])
		}
	}
	if err != nil {
		return err
	}
	st.Log.Info("conversion finished", "disks", len(st.Result.Converted), "output_dir", outDir)
	return nil
}

// reportConverted marks disk i converted in the job's progress and metrics.
func reportConverted(st *State, i int, out string, total int64) {
	st.Track(provider.Progress{Phase: StageConverting, Disk: 1000 + i, DiskName: filepath.Base(out), BytesDone: total, BytesTotal: total})
	metrics.BytesConverted.Add(float64(total))
}

// adoptStreamed moves the image the provider decoded from disk src while downloading it to
// out, if there is one in the wanted format that qemu-img finds whole. False means the disk
// is to be converted the usual way; the reason is logged.
func adoptStreamed(ctx context.Context, st *State, disk int, src convert.Source, format string, size int64, out string) bool {
	for _, a := range st.Result.Streamed {
		// An image stands for the exported file it came from or, when the export kept no
		// files (keep_export: false), for its disk.
		same := a.From != "" && a.From == src.Name || a.From == "" && src.Path == "" && a.Disk == disk
		if !same || a.Format != format {
			continue
		}
		if _, err := os.Stat(a.Path); err != nil {
			return false // adopted by an earlier attempt, since cleaned up
		}
		if err := convert.Adopt(ctx, st.Env.KVM.QemuImg, a.Path, format, size, out); err != nil {
			st.Log.Warn("the disk converted during the download is not usable; converting it again", logging.Present("disk", disk, "file", src.Name, "error", err)...)
			return false
		}
		st.Log.Info("disk was converted while it downloaded; checked with qemu-img and moved into place", logging.Present("disk", disk, "file", src.Name, "output", out)...)
		return true
	}
	return false
}

// adoptExported moves an exported disk already in the wanted format to out, checked by qemu-img
// like a streamed image, when the export is not kept (keep_export: false): a raw or qcow2 export
// is then imported without a second conversion. False means the disk is to be converted (a kept
// export is copied that way); the reason is logged.
func adoptExported(ctx context.Context, st *State, disk int, src convert.Source, format string, size int64, out string) bool {
	if st.Kind != KindExport || st.Spec.Hyper2KVM.Keep() || src.Path == "" || src.Size > 0 || src.Format != format {
		return false
	}
	if err := convert.Adopt(ctx, st.Env.KVM.QemuImg, src.Path, format, size, out); err != nil {
		st.Log.Warn("the exported disk cannot be moved into place as it is; converting it", logging.Present("disk", disk, "file", src.Name, "error", err)...)
		return false
	}
	st.Log.Info("disk was exported in the wanted format; checked with qemu-img and moved into place", logging.Present("disk", disk, "file", src.Name, "output", out)...)
	return true
}

// dropStreamed removes converted images the conversion stage did not adopt.
func dropStreamed(st *State) {
	for _, a := range st.Result.Streamed {
		removeLogged(st, a.Path) // absolute, checked by Verify; gone already if adopted
	}
	st.Result.Streamed = nil
}

// abandonConversion removes what the job wrote into the output folder it claimed (nothing if
// the claim is not its own) and forgets the converted disks.
func abandonConversion(st *State) {
	if st.Claimed != "" {
		if err := AbandonOutputDir(st.Claimed, st.JobID); err != nil {
			st.Log.Error("cannot remove the disks this job converted", "output_dir", st.Claimed, "error", err)
		}
	}
	if st.Result != nil {
		st.Result.Converted = nil
	}
}

// releaseLogged drops the job's claim on out; the disks there are final. A claim that cannot
// be dropped is only logged: a folder holding disks is refused to other jobs either way.
func releaseLogged(st *State, out string) {
	if err := releaseOutputDir(out); err != nil {
		st.Log.Warn("cannot drop the job's claim on its output directory", "output_dir", out, "error", err)
	}
}
