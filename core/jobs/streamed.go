package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/convert"
	"github.com/hypersdk/hypersdk/core/pipeline"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// conversionFormat is the format the convert step writes: the import block's, or
// hyper2kvm.default_format.
func (m *Manager) conversionFormat(j *Job) string {
	if j.Spec.Import != nil && j.Spec.Import.Format != "" {
		return j.Spec.Import.Format
	}
	return m.kvm.DefaultFormat
}

// streamFormat is the format a provider is asked to decode the disks into while it downloads
// them (ExportSpec.ConvertTo): the conversion stage's own output format, when that stage will
// run and a provider's decoder makes exactly what it would (no compressed qcow2 clusters).
func (m *Manager) streamFormat(j *Job) string {
	if j.Kind != KindExport || !planned(j, pipeline.StepConvert) || m.kvm.Compression || m.kvm.QemuImg == "" {
		return ""
	}
	return m.conversionFormat(j)
}

// splitConverted separates the disks a provider converted while downloading from the
// artifacts of the export proper.
func splitConverted(all []provider.Artifact) (exported, converted []provider.Artifact) {
	for _, a := range all {
		if a.Kind == provider.KindConvertedDisk {
			converted = append(converted, a)
		} else {
			exported = append(exported, a)
		}
	}
	return exported, converted
}

// verifyStreamed checks the converted images like any artifact and names for each the
// exported disk it came from. They are an optimisation: one that fails the check is dropped
// (its disk is converted after the export), never a reason to fail the job.
func (m *Manager) verifyStreamed(dir string, files []pipeline.File, converted []provider.Artifact, vmDisks int, log hclog.Logger) []Artifact {
	diskName := map[int]string{}
	for _, f := range files {
		if f.Kind == provider.KindDisk {
			diskName[f.Disk] = f.Name
		}
	}
	var out []Artifact
	for _, a := range converted {
		checked, err := pipeline.Verify(dir, []provider.Artifact{a})
		from, ok := diskName[a.Disk] // "" for a disk the provider kept no file of (convert-only)
		if !ok && a.Disk >= 0 && a.Disk < vmDisks {
			ok = true
		}
		if err != nil || !ok {
			log.Warn("ignoring a converted disk the provider reported", "path", a.Path, "disk", a.Disk, "error", err)
			continue
		}
		f := checked[0]
		out = append(out, Artifact{Path: f.Path, Kind: f.Kind, Format: f.Format, Size: f.Size, From: from, Disk: a.Disk})
	}
	return out
}

// adoptStreamed moves the image the provider decoded from disk src while downloading it to
// out, if there is one in the wanted format that qemu-img finds whole. False means the disk
// is to be converted the usual way; the reason is logged.
func (m *Manager) adoptStreamed(ctx context.Context, j *Job, disk int, src convert.Source, format string, size int64, out string, log hclog.Logger) bool {
	for _, a := range j.Result.Streamed {
		// An image stands for the exported file it came from or, when the export kept no
		// files (keep_export: false), for its disk.
		same := a.From != "" && a.From == src.Name || a.From == "" && src.Path == "" && a.Disk == disk
		if !same || a.Format != format {
			continue
		}
		if _, err := os.Stat(a.Path); err != nil {
			return false // adopted by an earlier attempt, since cleaned up
		}
		if err := convert.Adopt(ctx, m.kvm.QemuImg, a.Path, format, size, out); err != nil {
			log.Warn("the disk converted during the download is not usable; converting it again", present("disk", disk, "file", src.Name, "error", err)...)
			return false
		}
		log.Info("disk was converted while it downloaded; checked with qemu-img and moved into place", present("disk", disk, "file", src.Name, "output", out)...)
		return true
	}
	return false
}

// dropStreamed removes converted images the conversion stage did not adopt.
func dropStreamed(j *Job, log hclog.Logger) {
	for _, a := range j.Result.Streamed {
		removeLogged(a.Path, log) // absolute, checked by Verify; gone already if adopted
	}
	j.Result.Streamed = nil
}

// removeLogged removes a file the job no longer needs; one that cannot be removed is logged
// (it takes space, nothing more), one already gone is not.
func removeLogged(path string, log hclog.Logger) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		log.Warn("cannot remove a file the job no longer needs", "path", path, "error", err)
	}
}

// removeExport deletes what the job exported once its converted disks are in place
// (keep_export: false): the files it reported, then the directory if nothing else is in it.
func removeExport(j *Job, log hclog.Logger) {
	if j.Result == nil {
		return
	}
	for _, a := range j.Result.Artifacts {
		removeLogged(a.Path, log)
	}
	for _, p := range []string{j.Result.OVA, j.Result.Manifest} {
		if p != "" {
			removeLogged(p, log)
		}
	}
	if err := os.Remove(j.ExportDir); err != nil && !errors.Is(err, os.ErrNotExist) {
		log.Info("export directory kept: it holds files the job did not write", "export_dir", j.ExportDir)
	}
	j.Result.Artifacts, j.Result.OVA, j.Result.Manifest = nil, "", ""
	log.Info("export removed after conversion (keep_export: false)", "export_dir", j.ExportDir)
}

// loadExport finds the job's disks and VM picture. An export that is kept is read as a user
// would (its OVA, OVF or disk); one that is not (keep_export: false) was never packaged, and
// its disks are the files the provider reported, in disk order — a disk it kept only as a
// converted image has an empty Source.
func (m *Manager) loadExport(ctx context.Context, j *Job, source string) (convert.Export, error) {
	if j.Kind != KindExport || j.Spec.Hyper2KVM.keepExport() || j.Result == nil {
		exp, err := convert.LoadExport(ctx, m.kvm.QemuImg, source)
		if err != nil {
			return exp, fmt.Errorf("read export %s: %w", source, err)
		}
		return exp, nil
	}
	exp := convert.Export{VM: j.Result.VM, Disks: make([]convert.Source, len(j.Result.VM.Disks))}
	for _, a := range j.Result.Artifacts {
		if a.Kind == provider.KindDisk && a.Disk >= 0 && a.Disk < len(exp.Disks) {
			format := a.Format
			if strings.HasPrefix(format, "vmdk") {
				format = "vmdk"
			}
			exp.Disks[a.Disk] = convert.Source{Path: a.Path, Format: format, Name: filepath.Base(a.Path)}
		}
	}
	return exp, nil
}
