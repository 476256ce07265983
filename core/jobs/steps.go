package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/kvm"
	"github.com/hypersdk/hypersdk/core/metrics"
	"github.com/hypersdk/hypersdk/core/pipeline"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// stepImpl is what the daemon does for one step of a plan (pipeline.Plan names them).
type stepImpl struct {
	stage       string // the job's stage while the step runs; "" leaves it as it is
	afterExport bool   // counts against hyper2kvm.job_timeout
	// run does the step and says how many bytes it wrote, hashed or converted.
	run func(ctx context.Context, j *Job, r *run, log hclog.Logger) (int64, error)
	// cleanup undoes what a failed or cancelled run left; nil when there is nothing to undo (an
	// export's files stay, for the retry to resume from).
	cleanup func(j *Job, log hclog.Logger)
	// redo names an earlier step whose work this one's failure spoils: it is cleaned up and
	// run again by the retry (a disk that fails verification is exported again).
	redo string
}

func (m *Manager) stepImpls() map[string]stepImpl {
	return map[string]stepImpl{
		pipeline.StepExport:     {stage: StageExporting, run: m.exportStep},
		pipeline.StepVerify:     {stage: StagePackaging, run: m.verifyStep, redo: pipeline.StepExport},
		pipeline.StepPackage:    {stage: StagePackaging, run: m.packageStep},
		pipeline.StepConvert:    {stage: StageConverting, afterExport: true, run: m.convertStepRun, cleanup: abandonConversion},
		pipeline.StepImport:     {stage: StageImporting, afterExport: true, run: m.importStep, redo: pipeline.StepConvert},
		pipeline.StepHyper2KVM:  {stage: StageConverting, afterExport: true, run: m.hyper2kvmStep, cleanup: abandonConversion},
		pipeline.StepHandOff:    {stage: StageHandingOff, afterExport: true, run: m.handOffStep},
		pipeline.StepDropExport: {afterExport: true, run: dropExportStep},
	}
}

// exportStep has the provider write the VM's disks into the job's directory, within
// export.job_timeout counted from when an export slot is free.
func (m *Manager) exportStep(ctx context.Context, j *Job, r *run, log hclog.Logger) (int64, error) {
	p, err := m.providers.Provider(j.Spec.Provider)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(j.ExportDir, 0o750); err != nil {
		return 0, fmt.Errorf("create export directory: %w", err)
	}
	select {
	case m.exportSlots <- struct{}{}:
	case <-ctx.Done():
		return 0, context.Cause(ctx)
	}
	var release sync.Once
	freeSlot := func() { release.Do(func() { <-m.exportSlots }) }
	defer freeSlot()
	var res provider.ExportResult
	err = bounded(ctx, m.cfg.ExportTimeout, errExportTimeout, func(ctx context.Context) error {
		convertTo := m.streamFormat(j)
		res, err = p.ExportVM(provider.WithJobID(ctx, j.ID), provider.ExportSpec{
			JobID: j.ID, VMID: j.Spec.VMIdentifier, Method: j.Spec.ExportMethod, Dir: j.ExportDir,
			Options:   provider.ExportOptions{ShutdownVM: j.Spec.Options.ShutdownVM, RemoveCDROM: j.Spec.Options.RemoveCDROM, Compress: j.Spec.Options.Compress},
			ChunkSize: m.cfg.ChunkSize, MaxRetries: m.cfg.MaxRetries, ResumeToken: j.ResumeToken,
			ConvertTo: convertTo, ConvertOnly: convertTo != "" && !j.Spec.Hyper2KVM.keepExport(),
		}, &reporter{m: m, id: j.ID, tracker: r.tracker})
		return err
	})
	freeSlot()
	if err != nil {
		return 0, fmt.Errorf("export %s from %s: %w", j.Spec.VMIdentifier, j.Spec.Provider, err)
	}
	var exported int64
	for _, a := range res.Artifacts {
		if a.Kind == provider.KindDisk {
			exported += a.Size
		}
	}
	metrics.BytesExported.WithLabelValues(j.Spec.Provider).Add(float64(exported))
	metrics.ExportThroughput.WithLabelValues(j.Spec.Provider).Set(r.tracker.current().ThroughputBps)
	j.Exported, j.Verified = res.Artifacts, nil
	j.Result = &Result{VM: res.VM}
	return exported, nil
}

// verifyStep checks every file the provider reported — inside the directory, the size and the
// SHA-256 it claimed — and the images it converted while downloading (those that fail are
// dropped: their disks are converted after the export).
func (m *Manager) verifyStep(_ context.Context, j *Job, _ *run, log hclog.Logger) (int64, error) {
	exported, converted := splitConverted(j.Exported)
	files, err := pipeline.Verify(j.ExportDir, exported)
	if err != nil {
		return 0, fmt.Errorf("verify export: %w", err)
	}
	j.Verified = files
	j.Result.Streamed = m.verifyStreamed(j.ExportDir, files, converted, len(j.Result.VM.Disks), log)
	j.Result.Artifacts = artifactsOf(files)
	var n int64
	for _, f := range files {
		n += f.Size
	}
	return n, nil
}

// packageStep writes the manifest, the descriptor and (for ova) the archive.
func (m *Manager) packageStep(_ context.Context, j *Job, _ *run, log hclog.Logger) (int64, error) {
	name := j.Result.VM.Name
	if name == "" {
		name = j.Spec.VMIdentifier
	}
	if j.Spec.Options.Compress {
		log.Info("compress: the exported disks are already compressed streamOptimized VMDKs; packaging them as they are")
	}
	pkg, err := pipeline.PackageExport(j.ExportDir, provider.SafeName(name), j.Spec.ExportMethod, j.Result.VM, j.Verified)
	if err != nil {
		return 0, fmt.Errorf("package %s: %w", j.Spec.ExportMethod, err)
	}
	j.Result.OVA, j.Result.Manifest, j.Result.Artifacts = pkg.OVA, pkg.Manifest, artifactsOf(pkg.Files)
	log.Info("export packaged", present("files", len(pkg.Files), "ova", pkg.OVA)...)
	var n int64
	for _, f := range pkg.Files {
		n += f.Size
	}
	return n, nil
}

func artifactsOf(files []pipeline.File) []Artifact {
	out := make([]Artifact, 0, len(files))
	for _, f := range files {
		out = append(out, Artifact{Path: f.Path, Kind: f.Kind, Format: f.Format, Size: f.Size, SHA256: f.SHA256, Disk: f.Disk})
	}
	return out
}

// convertStepRun converts the job's disks into its output folder (claimed first). With an
// import to follow, the domain name is checked before anything is written — and a domain an
// interrupted attempt of this job defined is recognised and kept.
func (m *Manager) convertStepRun(ctx context.Context, j *Job, _ *run, log hclog.Logger) (int64, error) {
	source, out, format, compress, err := m.conversionOf(j)
	if err != nil {
		return 0, err
	}
	if planned(j, pipeline.StepImport) {
		name := provider.SafeName(j.Result.VM.Name)
		if done, err := m.importedEarlier(ctx, j, name, out, log); err != nil || done {
			return 0, err
		}
		if err := kvm.NameFree(ctx, m.kvm.Libvirt, name); errors.Is(err, kvm.ErrExists) {
			return 0, fmt.Errorf("%w: import %s: %w", ErrConflict, name, err)
		} else if err != nil {
			return 0, fmt.Errorf("import %s: %w", name, err)
		}
	}
	if err := m.convertExport(ctx, j, source, out, format, compress, log); err != nil {
		return 0, err
	}
	if !planned(j, pipeline.StepImport) {
		releaseLogged(out, log) // the disks are final: no import will follow
	}
	var n int64
	for _, p := range j.Result.Converted {
		if st, err := os.Stat(p); err == nil {
			n += st.Size()
		}
	}
	return n, nil
}

// conversionOf says what the convert step reads and writes: a /convert job's request, or the
// export into <hyper2kvm.output_dir>/<vm>.
func (m *Manager) conversionOf(j *Job) (source, out, format string, compress bool, err error) {
	if j.Kind == KindConvert {
		c := j.ConvertSpec
		return c.SourcePath, c.OutputPath, c.Format, c.Compress, nil
	}
	out, err = ConfinePath(m.kvm.OutputDir, provider.SafeName(j.Result.VM.Name))
	if err != nil {
		return "", "", "", false, fmt.Errorf("hyper2kvm.output_dir: %w", err)
	}
	return exportSource(j), out, m.conversionFormat(j), m.kvm.Compression, nil
}

// abandonConversion removes what a failed or cancelled conversion wrote into the folder the
// job claimed, and only if the claim is the job's.
func abandonConversion(j *Job, log hclog.Logger) {
	if j.Claimed != "" {
		if err := abandonOutputDir(j.Claimed, j.ID); err != nil {
			log.Error("cannot remove the disks this job converted", "output_dir", j.Claimed, "error", err)
		}
	}
	if j.Result != nil {
		j.Result.Converted = nil
	}
}

// releaseLogged drops the job's claim on out; the disks there are final. A claim that cannot
// be dropped is only logged: a folder holding disks is refused to other jobs either way.
func releaseLogged(out string, log hclog.Logger) {
	if err := releaseOutputDir(out); err != nil {
		log.Warn("cannot drop the job's claim on its output directory", "output_dir", out, "error", err)
	}
}

// importStep defines the converted VM in libvirt (unless an interrupted attempt did).
func (m *Manager) importStep(ctx context.Context, j *Job, _ *run, log hclog.Logger) (int64, error) {
	_, out, _, _, err := m.conversionOf(j)
	if err != nil {
		return 0, err
	}
	if j.Result.Domain == "" {
		if err := m.importVM(ctx, j, *j.Spec.Import, out, log); err != nil {
			return 0, err
		}
	}
	releaseLogged(out, log)
	return 0, nil
}

func (m *Manager) hyper2kvmStep(ctx context.Context, j *Job, _ *run, log hclog.Logger) (int64, error) {
	return 0, m.runHyper2KVM(ctx, j, log)
}

func (m *Manager) handOffStep(ctx context.Context, j *Job, _ *run, log hclog.Logger) (int64, error) {
	return 0, m.handOff(ctx, j, log)
}

func dropExportStep(_ context.Context, j *Job, _ *run, log hclog.Logger) (int64, error) {
	removeExport(j, log)
	return 0, nil
}
