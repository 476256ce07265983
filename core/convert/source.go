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
// or a single disk image (.vmdk, .qcow2, .raw, .img, .vhd, .vhdx).
func LoadExport(ctx context.Context, qemuImg, p string) (Export, error) {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".ova":
		return loadOVA(p)
	case ".ovf":
		return loadOVF(p)
	}
	info, err := Info(ctx, qemuImg, p)
	if err != nil {
		return Export{}, err
	}
	name := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
	vm := provider.VM{ID: name, Name: name, CPUs: 1, MemoryMB: 1024, Firmware: provider.FirmwareBIOS,
		Disks: []provider.Disk{{Label: "disk 1", CapacityBytes: info.VirtualSize, BootOrder: 1, Source: filepath.Base(p)}}}
	return Export{VM: vm, Disks: []Source{{Path: p, Format: info.Format, Name: filepath.Base(p)}}}, nil
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
// qemu-img driver that reads it.
func diskFormat(f ovf.DiskFile) string {
	if strings.Contains(f.Format, "vmdk") {
		return "vmdk"
	}
	switch strings.ToLower(filepath.Ext(f.Href)) {
	case ".vmdk":
		return "vmdk"
	case ".qcow2":
		return "qcow2"
	case ".vhd":
		return "vpc"
	case ".vhdx":
		return "vhdx"
	}
	return "raw"
}
