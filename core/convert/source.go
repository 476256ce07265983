package convert

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hypersdk/hypersdk/sdk/ovf"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Export is a VM on disk ready to convert: its hardware picture and where each disk is.
type Export struct {
	VM    provider.VM
	Disks []Source // index i is VM.Disks[i]
}

// LoadExport reads an export from an .ova (in place), an .ovf with its disk files beside it,
// or a single disk image (.vmdk, .qcow2, .raw, .img, .vhd, .vhdx). Every disk is inspected
// (Inspect) in the format its descriptor or file name declares — a bare .img is probed — and
// the export is refused, with ErrUnsafeImage, if one of them is not self-contained.
func LoadExport(ctx context.Context, qemuImg, p string) (Export, error) {
	var exp Export
	var err error
	switch strings.ToLower(filepath.Ext(p)) {
	case ".ova":
		exp, err = loadOVA(p)
	case ".ovf":
		exp, err = loadOVF(p)
	default:
		return loadImage(ctx, qemuImg, p)
	}
	if err != nil {
		return Export{}, err
	}
	for i, src := range exp.Disks {
		if _, err := Inspect(ctx, qemuImg, src); err != nil {
			return Export{}, fmt.Errorf("disk %d of %s: %w", i+1, p, err)
		}
	}
	return exp, nil
}

// loadImage makes an export of one bare disk image, described by qemu-img.
func loadImage(ctx context.Context, qemuImg, p string) (Export, error) {
	src := Source{Path: p, Format: formatByExt(p), Name: filepath.Base(p)}
	info, err := Inspect(ctx, qemuImg, src)
	if err != nil {
		return Export{}, err
	}
	src.Format = info.Format // what was probed is now declared
	name := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
	vm := provider.VM{ID: name, Name: name, CPUs: 1, MemoryMB: 1024, Firmware: provider.FirmwareBIOS,
		Disks: []provider.Disk{{Label: "disk 1", CapacityBytes: info.VirtualSize, BootOrder: 1, Source: filepath.Base(p)}}}
	return Export{VM: vm, Disks: []Source{src}}, nil
}

func loadOVA(p string) (Export, error) {
	members, err := IndexOVA(p)
	if err != nil {
		return Export{}, err
	}
	byName := map[string]Member{}
	var desc *Member
	for i, m := range members {
		byName[m.Name] = m
		if strings.HasSuffix(strings.ToLower(m.Name), ".ovf") && desc == nil {
			desc = &members[i]
		}
	}
	if desc == nil {
		return Export{}, fmt.Errorf("OVA %s has no .ovf descriptor", p)
	}
	raw, err := ReadMember(p, *desc, ovf.MaxDescriptorBytes)
	if err != nil {
		return Export{}, err
	}
	vm, files, err := ovf.Parse(raw)
	if err != nil {
		return Export{}, fmt.Errorf("OVA %s: %w", p, err)
	}
	out := Export{VM: vm}
	for _, f := range files {
		m, ok := byName[f.Href]
		if !ok {
			return Export{}, fmt.Errorf("OVA %s: descriptor names %q, which the archive lacks", p, f.Href)
		}
		out.Disks = append(out.Disks, Source{Path: p, Offset: m.Offset, Size: m.Size, Format: diskFormat(f), Name: f.Href})
	}
	return out, nil
}

func loadOVF(p string) (Export, error) {
	st, err := os.Stat(p)
	if err != nil {
		return Export{}, err
	}
	if st.Size() > ovf.MaxDescriptorBytes {
		return Export{}, fmt.Errorf("OVF %s is larger than %d bytes", p, ovf.MaxDescriptorBytes)
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		return Export{}, err
	}
	vm, files, err := ovf.Parse(raw)
	if err != nil {
		return Export{}, fmt.Errorf("OVF %s: %w", p, err)
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(p))
	if err != nil {
		return Export{}, err
	}
	out := Export{VM: vm}
	for _, f := range files {
		disk, err := provider.SafeJoin(dir, f.Href)
		if err != nil {
			return Export{}, err
		}
		real, err := filepath.EvalSymlinks(disk)
		if err != nil {
			return Export{}, fmt.Errorf("OVF %s: disk %s: %w", p, f.Href, err)
		}
		if rel, err := filepath.Rel(dir, real); err != nil || strings.HasPrefix(rel, "..") {
			return Export{}, fmt.Errorf("OVF %s: disk %s resolves outside its directory", p, f.Href)
		}
		out.Disks = append(out.Disks, Source{Path: real, Format: diskFormat(f), Name: f.Href})
	}
	return out, nil
}

// diskFormat maps a descriptor's disk format (or, without one, the file extension) to the
// qemu-img driver that reads it; a disk of no known kind is read as raw, which can refer to
// nothing else.
func diskFormat(f ovf.DiskFile) string {
	if strings.Contains(f.Format, "vmdk") {
		return "vmdk"
	}
	if format := formatByExt(f.Href); format != "" {
		return format
	}
	return FormatRaw
}

// formatByExt is the qemu-img driver a file name declares, or "" when it declares none (.img
// is raw or qcow2, as often as not).
func formatByExt(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".vmdk":
		return "vmdk"
	case ".qcow2":
		return FormatQCOW2
	case ".raw":
		return FormatRaw
	case ".vhd":
		return "vpc"
	case ".vhdx":
		return "vhdx"
	}
	return ""
}
