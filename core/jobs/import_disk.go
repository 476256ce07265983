package jobs

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"

	"github.com/hypersdk/hypersdk/core/convert"
	"github.com/hypersdk/hypersdk/core/domainxml"
	"github.com/hypersdk/hypersdk/core/kvm"
	"github.com/hypersdk/hypersdk/core/pipeline"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// ImportDiskRequest is the seed's POST /import-to-kvm body.
type ImportDiskRequest struct {
	VMName    string `json:"vm_name"`
	DiskPath  string `json:"disk_path"`
	MemoryMB  int64  `json:"memory_mb"`
	VCPUs     int32  `json:"vcpus"`
	Network   string `json:"network"`
	Autostart bool   `json:"autostart"`
}

// Imported is what /import-to-kvm answers.
type Imported struct {
	kvm.Defined
	DomainXML string `json:"domain_xml"`
}

var domainName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ImportDisk defines a VM in libvirt around one converted disk. The disk must be qcow2 or raw
// and lie under hyper2kvm.output_dir or export.base_path.
func (m *Manager) ImportDisk(ctx context.Context, r ImportDiskRequest) (Imported, error) {
	if !domainName.MatchString(r.VMName) {
		return Imported{}, &FieldError{Field: "vm_name", Message: "must be 1-64 letters, digits, '.', '-' or '_', starting with a letter or digit"}
	}
	if r.DiskPath == "" {
		return Imported{}, &FieldError{Field: "disk_path", Message: "is required"}
	}
	path, err := pipeline.ConfinePath(m.kvm.OutputDir, r.DiskPath)
	if err != nil {
		if path, err = pipeline.ConfinePath(m.cfg.BasePath, r.DiskPath); err != nil {
			return Imported{}, &FieldError{Field: "disk_path", Message: "must lie under hyper2kvm.output_dir or export.base_path"}
		}
	}
	if err := sizeError("", domainxml.CheckSize(r.MemoryMB, int64(r.VCPUs))); err != nil {
		return Imported{}, err
	}
	if m.kvm.QemuImg == "" {
		return Imported{}, fmt.Errorf("%w: qemu-img is not installed", provider.ErrUnsupported)
	}
	info, err := convert.Info(ctx, m.kvm.QemuImg, path)
	if errors.Is(err, convert.ErrUnsafeImage) {
		return Imported{}, &FieldError{Field: "disk_path", Message: err.Error(), Err: err}
	}
	if err != nil {
		return Imported{}, &FieldError{Field: "disk_path", Message: fmt.Sprintf("%s is not a readable disk image", r.DiskPath)}
	}
	if info.Format != "qcow2" && info.Format != "raw" {
		return Imported{}, &FieldError{Field: "disk_path", Message: fmt.Sprintf("is %s; convert it to qcow2 or raw first (POST /convert)", info.Format)}
	}
	network := r.Network
	if network == "" {
		network = m.kvm.Network
	}
	vm := provider.VM{Name: r.VMName, Firmware: provider.FirmwareBIOS,
		Disks: []provider.Disk{{Label: "disk 1", CapacityBytes: info.VirtualSize, BootOrder: 1, Source: path}},
		NICs:  []provider.NIC{{Network: network}}}
	dom, err := domainxml.Build(vm, domainxml.Options{
		DomainType: m.kvm.DomainType, MemoryMB: r.MemoryMB, VCPUs: r.VCPUs, Network: network,
		Disks:     []domainxml.Disk{{Path: path, Format: info.Format}},
		NVRAMPath: filepath.Join(m.kvm.NVRAMDir, r.VMName+"_VARS.fd"), Firmware: m.kvm.Firmware,
	})
	if err != nil {
		return Imported{}, err
	}
	xml, err := dom.Marshal()
	if err != nil {
		return Imported{}, err
	}
	def, err := kvm.Define(ctx, m.kvm.Libvirt, dom, r.Autostart)
	if err != nil {
		return Imported{}, err
	}
	m.log.Info("VM imported into libvirt", "domain", def.Name, "uuid", def.UUID, "disk", path, "autostart", def.Autostart)
	return Imported{Defined: def, DomainXML: xml}, nil
}
