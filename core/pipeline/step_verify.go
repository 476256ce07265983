package pipeline

import (
	"context"
	"fmt"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// verifyStep checks every file the provider reported — inside the directory, the size and the
// SHA-256 it claimed — and the images it converted while downloading (those that fail are
// dropped: their disks are converted after the export).
type verifyStep struct{ noCleanup }

func (verifyStep) Run(_ context.Context, st *State) (int64, error) {
	exported, converted := splitConverted(st.Exported)
	files, err := Verify(st.ExportDir, exported)
	if err != nil {
		return 0, fmt.Errorf("verify export: %w", err)
	}
	if err := hashKeptDisks(st.Spec.ExportMethod, files); err != nil {
		return 0, fmt.Errorf("verify export: %w", err)
	}
	st.Verified = files
	st.Result.Streamed = verifyStreamed(st, files, converted)
	st.Result.Artifacts = artifactsOf(files)
	var n int64
	for _, f := range files {
		n += f.Size
	}
	return n, nil
}

// hashKeptDisks gives a whole-file SHA-256 to the files verified by their extents that the
// package keeps as they are and lists in its manifest (ova, ovf, vmdk: the disks already
// VMDKs, and any other file). Image methods (raw, qcow2) have no manifest, and a disk the
// package converts is hashed as it is rewritten: neither is read in full here, so a sparse disk
// costs its data, not its capacity.
func hashKeptDisks(method string, files []File) error {
	if IsImageMethod(method) {
		return nil
	}
	for i := range files {
		f := &files[i]
		if f.SHA256 != "" || f.Kind == provider.KindConvertedDisk ||
			f.Kind == provider.KindDisk && qemuDriver(f.Format) != methodFormat(method) {
			continue
		}
		sum, _, err := diskfile.SHA256(f.Path)
		if err != nil {
			return fmt.Errorf("hash %s for the manifest: %w", f.Name, err)
		}
		f.SHA256 = sum
	}
	return nil
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
func verifyStreamed(st *State, files []File, converted []provider.Artifact) []Artifact {
	vmDisks := len(st.Result.VM.Disks)
	diskName := map[int]string{}
	for _, f := range files {
		if f.Kind == provider.KindDisk {
			diskName[f.Disk] = f.Name
		}
	}
	var out []Artifact
	for _, a := range converted {
		checked, err := Verify(st.ExportDir, []provider.Artifact{a})
		from, ok := diskName[a.Disk] // "" for a disk the provider kept no file of (convert-only)
		if !ok && a.Disk >= 0 && a.Disk < vmDisks {
			ok = true
		}
		if err != nil || !ok {
			st.Log.Warn("ignoring a converted disk the provider reported", "path", a.Path, "disk", a.Disk, "error", err)
			continue
		}
		f := checked[0]
		out = append(out, Artifact{Path: f.Path, Kind: f.Kind, Format: f.Format, Size: f.Size, From: from, Disk: a.Disk})
	}
	return out
}

// artifactsOf is verified files as the job's result lists them.
func artifactsOf(files []File) []Artifact {
	out := make([]Artifact, 0, len(files))
	for _, f := range files {
		out = append(out, Artifact{Path: f.Path, Kind: f.Kind, Format: f.Format, Size: f.Size, SHA256: f.SHA256, Disk: f.Disk})
	}
	return out
}
