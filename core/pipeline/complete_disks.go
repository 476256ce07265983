package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hypersdk/hypersdk/core/convert"
	"github.com/hypersdk/hypersdk/core/logging"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// completeDisks makes every disk of the export the format its method delivers (methodFormat)
// and returns the export's files as they then are. A disk the provider wrote in that format is
// kept as it is; for raw and qcow2 an image the provider converted while downloading is
// adopted (checked by qemu-img, moved into place); any other disk is converted with qemu-img
// into <base>-disk<N>.<format> beside it, and the provider's file is removed once the new one
// is durable. A descriptor or manifest the provider wrote names files that are gone, or is not
// wanted (raw, qcow2): it is removed, and the package step writes a descriptor from the VM's
// picture where the method has one.
//
// A run cut off by a crash runs again from the same verified files: a converted image whose
// source is already gone is the earlier run's finished work and is taken as it is; one whose
// source is still there may be an earlier job's (a folder exported into again) and is made
// anew.
func completeDisks(ctx context.Context, st *State, base string) ([]File, error) {
	method := st.Spec.ExportMethod
	want := methodFormat(method)
	var disks, others []File
	byDisk := map[int]File{} // the provider's disk files, by disk
	for _, f := range st.Verified {
		if f.Kind == provider.KindDisk {
			byDisk[f.Disk] = f
		} else {
			others = append(others, f)
		}
	}
	for i, f := range byDisk {
		if i < 0 || i >= len(st.Result.VM.Disks) {
			return nil, fmt.Errorf("artifact %s is disk %d; the VM has %d", f.Name, i, len(st.Result.VM.Disks))
		}
	}
	changed := false
	for i := range st.Result.VM.Disks {
		f, have := byDisk[i]
		if have && qemuDriver(f.Format) == want {
			disks = append(disks, f)
			continue
		}
		done, err := completeDisk(ctx, st, i, f, have, base, want)
		if err != nil {
			return nil, fmt.Errorf("disk %d to %s: %w", i, want, err)
		}
		disks, changed = append(disks, done), true
	}
	if IsImageMethod(method) {
		dropStreamed(st) // what was not adopted; an image method's conversion reads the images
	}
	if !changed && !IsImageMethod(method) {
		return st.Verified, nil // the provider's package, as it wrote it
	}
	for _, f := range others {
		st.Log.Info("removing a file of the provider's that no longer describes the export", "file", f.Name)
		removeLogged(st, f.Path)
	}
	return disks, nil
}

// completeDisk produces disk i in format want from the provider's file f (have says whether
// there is one) or from the image it converted while downloading.
func completeDisk(ctx context.Context, st *State, i int, f File, have bool, base, want string) (File, error) {
	capacity := st.Result.VM.Disks[i].CapacityBytes
	name := fmt.Sprintf("%s-disk%d.%s", base, i, want)
	if have && sameFile(f.Path, filepath.Join(st.ExportDir, name)) {
		name = fmt.Sprintf("%s-disk%d-%s.%s", base, i, strings.ReplaceAll(f.Format, "/", "_"), want)
	}
	out := filepath.Join(st.ExportDir, name)
	streamed := streamedImage(st, i, want)
	// A provider may have named the image it converted as the export names it: it is then
	// checked where it is.
	inPlace := streamed != nil && sameFile(streamed.Path, out)
	if err := os.Remove(out + ".part"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return File{}, fmt.Errorf("remove what a cut-off attempt left: %w", err)
	}
	if _, err := os.Lstat(out); err == nil && !inPlace {
		if have && exists(f.Path) || streamed != nil && exists(streamed.Path) {
			removeLogged(st, out) // not this run's: made again from the source
		} else {
			st.Log.Info("disk was completed by an attempt cut off before the step ended", logging.Present("disk", i, "file", name)...)
			return describeImage(out, name, want, i)
		}
	}
	if st.Env.KVM.QemuImg == "" {
		return File{}, fmt.Errorf("%w: the provider wrote %s; qemu-img is needed to make %s of it (apt-get install qemu-utils)", provider.ErrUnsupported, f.Format, want)
	}
	adopted := false
	if streamed != nil && capacity > 0 {
		var err error
		if inPlace {
			err = convert.Check(ctx, st.Env.KVM.QemuImg, out, want, capacity)
		} else {
			err = convert.Adopt(ctx, st.Env.KVM.QemuImg, streamed.Path, want, capacity, out)
		}
		if err != nil {
			st.Log.Warn("the disk converted during the download is not usable; converting the exported disk", logging.Present("disk", i, "error", err)...)
			if inPlace {
				removeLogged(st, out)
			}
		} else {
			adopted = true
			forgetStreamed(st, streamed.Path) // the product now, not a leftover to drop
			st.Log.Info("disk was converted while it downloaded; checked with qemu-img and kept", logging.Present("disk", i, "file", name)...)
		}
	}
	if !adopted {
		if !have {
			return File{}, fmt.Errorf("the provider kept neither the disk nor a usable converted image of it")
		}
		st.Log.Info("converting disk", logging.Present("disk", i, "source", f.Name, "from", f.Format, "to", want, "output", name)...)
		src := convert.Source{Path: f.Path, Format: qemuDriver(f.Format), Name: f.Name}
		opts := convert.Options{Format: want, Compress: st.Spec.Options.Compress && want == convert.FormatQCOW2}
		err := convert.Convert(ctx, st.Env.KVM.QemuImg, src, out, opts, func(pct float64) {
			st.Track(provider.Progress{Phase: StageConverting, Disk: 2000 + i, DiskName: name,
				BytesDone: int64(pct / 100 * float64(capacity)), BytesTotal: capacity})
		})
		if err != nil {
			return File{}, err
		}
	}
	st.Track(provider.Progress{Phase: StageConverting, Disk: 2000 + i, DiskName: name, BytesDone: capacity, BytesTotal: capacity})
	if have {
		removeLogged(st, f.Path) // the new image is durable: Convert and Adopt sync it
	}
	return describeImage(out, name, want, i)
}

// streamedImage is the image of disk i in format the provider converted while downloading, if
// verification kept one.
func streamedImage(st *State, i int, format string) *Artifact {
	for k, a := range st.Result.Streamed {
		if a.Disk == i && a.Format == format {
			return &st.Result.Streamed[k]
		}
	}
	return nil
}

// forgetStreamed takes an adopted image off the list of converted images waiting in the
// export directory, which are removed once the disks are complete.
func forgetStreamed(st *State, path string) {
	st.Result.Streamed = slices.DeleteFunc(st.Result.Streamed, func(a Artifact) bool { return a.Path == path })
}

// describeImage hashes an image the host made, for the package's manifest and the result.
func describeImage(path, name, format string, disk int) (File, error) {
	sum, size, err := provider.FileSHA256(path)
	if err != nil {
		return File{}, fmt.Errorf("hash %s: %w", name, err)
	}
	if format == convert.FormatVMDK {
		format = provider.FormatVMDKStream
	}
	return File{Path: path, Name: name, Kind: provider.KindDisk, Format: format, Size: size, SHA256: sum, Disk: disk}, nil
}

// sameFile reports whether a and b name one existing file (Verify resolved the artifacts'
// symlinks; the export directory's path may hold some).
func sameFile(a, b string) bool {
	fa, err := os.Lstat(a)
	if err != nil {
		return false
	}
	fb, err := os.Lstat(b)
	return err == nil && os.SameFile(fa, fb)
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
