package pipeline

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
	"github.com/hypersdk/hypersdk/sdk/ovf"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Package is the result of packaging an export.
type Package struct {
	Files    []File // what remains in the export directory
	Manifest string // path of the .mf, for ovf
	OVA      string // path of the .ova, for ova
}

// PackageExport turns verified export files, whose disks are VMDKs (completeDisks made them so),
// into what the method promises:
//   - vmdk: the disks as they are;
//   - ovf: the descriptor (written from the VM's hardware when the provider had none), the
//     disks, and a .mf manifest with the SHA-256 of each;
//   - ova: one tar of descriptor, manifest and disks in the order the OVF specification
//     requires (descriptor first, manifest next, then files as References lists them); the
//     loose files are removed once the archive is safely on disk.
func PackageExport(dir, name, method string, vm provider.VM, files []File) (Package, error) {
	if method == provider.MethodVMDK {
		return Package{Files: files}, nil
	}
	var desc *File
	var disks []File
	for i := range files {
		switch files[i].Kind {
		case provider.KindDescriptor:
			desc = &files[i]
		case provider.KindDisk:
			disks = append(disks, files[i])
		}
	}
	if desc == nil {
		written, err := writeDescriptor(dir, name, vm, disks)
		if err != nil {
			return Package{}, err
		}
		desc = &written
		files = append(files, written)
	}
	mf, err := writeManifest(dir, name, *desc, disks)
	if err != nil {
		return Package{}, err
	}
	out := Package{Files: append(files, mf), Manifest: mf.Path}
	if method == provider.MethodOVF {
		if err := diskfile.SyncDir(dir); err != nil { // the descriptor's and manifest's names
			return Package{}, err
		}
		return out, nil
	}
	ova, err := writeOVA(dir, name, *desc, mf, disks)
	if err != nil {
		return Package{}, err
	}
	for _, f := range out.Files {
		os.Remove(f.Path)
	}
	return Package{Files: []File{ova}, OVA: ova.Path}, nil
}

func writeDescriptor(dir, name string, vm provider.VM, disks []File) (File, error) {
	var refs []ovf.DiskFile
	for _, d := range disks {
		format := ""
		if strings.HasPrefix(d.Format, "vmdk") {
			format = ovf.FormatStreamOptimized
		}
		refs = append(refs, ovf.DiskFile{Disk: d.Disk, Href: d.Name, Size: d.Size, Format: format})
	}
	raw, err := ovf.Write(vm, refs)
	if err != nil {
		return File{}, err
	}
	return writeSmallFile(dir, name+".ovf", raw, provider.KindDescriptor, "ovf")
}

// writeManifest writes NAME.mf: one "SHA256(file)= hex" line per file, descriptor first.
func writeManifest(dir, name string, desc File, disks []File) (File, error) {
	var b strings.Builder
	for _, f := range append([]File{desc}, disks...) {
		fmt.Fprintf(&b, "SHA256(%s)= %s\n", f.Name, f.SHA256)
	}
	return writeSmallFile(dir, name+".mf", []byte(b.String()), provider.KindManifest, "mf")
}

// writeOVA tars the package into NAME.ova through a .part file renamed when complete.
func writeOVA(dir, name string, desc, mf File, disks []File) (File, error) {
	final := filepath.Join(dir, name+".ova")
	part := final + ".part"
	f, err := os.Create(part)
	if err != nil {
		return File{}, err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(part)
		}
	}()
	// The archive is hashed as it is written, not read back afterwards.
	h := sha256.New()
	counted := &countingWriter{w: io.MultiWriter(f, h)}
	tw := tar.NewWriter(counted)
	for _, m := range append([]File{desc, mf}, disks...) {
		if err := addToTar(tw, m); err != nil {
			return File{}, fmt.Errorf("add %s to OVA: %w", m.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return File{}, err
	}
	if err := f.Sync(); err != nil {
		return File{}, err
	}
	if err := f.Close(); err != nil {
		return File{}, err
	}
	if err := diskfile.Rename(part, final); err != nil {
		return File{}, err
	}
	ok = true
	return File{Path: final, Name: name + ".ova", Kind: provider.KindArchive, Format: "ova", Size: counted.n, SHA256: hex.EncodeToString(h.Sum(nil))}, nil
}

// countingWriter counts what passes through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func addToTar(tw *tar.Writer, f File) error {
	src, err := os.Open(f.Path)
	if err != nil {
		return err
	}
	defer src.Close()
	hdr := &tar.Header{Name: f.Name, Mode: 0o644, Size: f.Size, Format: tar.FormatUSTAR, Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	_, err = io.Copy(tw, src)
	return err
}

// writeSmallFile writes a descriptor or manifest through a synced .part file renamed into place;
// PackageExport syncs the directory once for all of them. Its checksum is of the bytes written.
func writeSmallFile(dir, name string, data []byte, kind, format string) (File, error) {
	path := filepath.Join(dir, name)
	part := path + ".part"
	if err := os.WriteFile(part, data, 0o644); err != nil {
		return File{}, err
	}
	if err := diskfile.Sync(part); err != nil {
		os.Remove(part)
		return File{}, err
	}
	if err := os.Rename(part, path); err != nil {
		os.Remove(part)
		return File{}, err
	}
	sum := sha256.Sum256(data)
	return File{Path: path, Name: name, Kind: kind, Format: format, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}, nil
}
