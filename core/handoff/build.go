package handoff

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Input is what Build turns into a manifest: the job, the VM as exported, and the disk files
// hyper2kvm is to open, as hypervisord verified them.
type Input struct {
	JobID      string
	Provider   string
	Method     string // ova, ovf or vmdk
	VM         provider.VM
	Disks      []DiskFile
	Load       Load   // "" for a disk export: the boot disk, as its format
	OutputDir  string // hyper2kvm.output_dir
	Format     string // hyper2kvm.default_format
	Compress   bool   // hyper2kvm.compression
	ExportedAt time.Time
	Producer   string // "hypervisord <version>"
}

// DiskFile is one disk of the export as a file hyper2kvm can open.
type DiskFile struct {
	Disk   int    // index in VM.Disks
	Path   string // absolute
	Format string // a provider.Format* constant or qemu-img driver name
	Size   int64  // bytes of the file
	SHA256 string // lowercase hex of the file, as verified
}

// loadTypes are the pipeline.load.source_type values hyper2kvm 0.2.0's workflow daemon maps
// to a command (ami needs an AMI id, not a file).
var loadTypes = map[string]bool{"vmdk": true, "ova": true, "ovf": true, "vhd": true, "vhdx": true, "raw": true}

var (
	sha256Hex = regexp.MustCompile(`^[a-f0-9]{64}$`)
	diskID    = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
)

// Build writes the Artifact Manifest v1.0 for in. It refuses what hyper2kvm's loader would
// refuse (a disk format it cannot read, a relative path, a missing checksum), so a bad manifest
// fails the job that writes it rather than silently in hyper2kvm's failed/ folder.
func Build(in Input) (Manifest, error) {
	if len(in.Disks) == 0 {
		return Manifest{}, fmt.Errorf("hyper2kvm manifest: the export has no disk")
	}
	if !diskID.MatchString(in.JobID) {
		return Manifest{}, fmt.Errorf("hyper2kvm manifest: job id %q is not a file name hyper2kvm keeps", in.JobID)
	}
	format := in.Format
	if format == "" {
		format = "qcow2"
	}
	if format != "qcow2" && format != "raw" && format != "vdi" {
		return Manifest{}, fmt.Errorf("hyper2kvm manifest: output format %q is not one hyper2kvm writes (qcow2, raw, vdi)", format)
	}
	if !filepath.IsAbs(in.OutputDir) {
		return Manifest{}, fmt.Errorf("hyper2kvm manifest: output directory %q must be absolute", in.OutputDir)
	}
	hints := provider.BootRanks(in.VM.Disks) // 0 is the disk hyper2kvm fixes (disk_type boot)
	m := Manifest{
		Version: ManifestVersion,
		Source: Source{Provider: in.Provider, VMID: in.VM.ID, VMName: in.VM.Name, Datacenter: in.VM.Datacenter,
			ExportTimestamp: in.ExportedAt.UTC().Format(time.RFC3339), ExportMethod: in.Method},
		VM:       manifestVM(in.VM),
		NICs:     []ManifestNIC{},
		Metadata: Metadata{JobID: in.JobID, Producer: in.Producer, CreatedAt: in.ExportedAt.UTC().Format(time.RFC3339)},
		Pipeline: Pipeline{Load: in.Load, Inspect: Stage{true}, Fix: Stage{true}, Convert: Convert{Enabled: true, Compress: in.Compress && format == "qcow2"}, Validate: Stage{true}},
		Output:   Output{Directory: filepath.Clean(in.OutputDir), Format: format},
	}
	files := append([]DiskFile(nil), in.Disks...)
	sort.SliceStable(files, func(a, b int) bool { return files[a].Disk < files[b].Disk })
	seen := map[int]bool{}
	for _, f := range files {
		d, err := manifestDisk(in.VM, f, hints)
		if err != nil {
			return Manifest{}, fmt.Errorf("hyper2kvm manifest: %w", err)
		}
		if seen[f.Disk] {
			return Manifest{}, fmt.Errorf("hyper2kvm manifest: disk %d is listed twice", f.Disk)
		}
		seen[f.Disk] = true
		m.Disks = append(m.Disks, d)
	}
	if m.Pipeline.Load.SourcePath == "" { // a disk export: hyper2kvm loads the boot disk
		for _, d := range m.Disks {
			if d.DiskType == "boot" {
				m.Pipeline.Load = Load{SourceType: d.SourceFormat, SourcePath: d.LocalPath}
			}
		}
	}
	if !loadTypes[m.Pipeline.Load.SourceType] || !filepath.IsAbs(m.Pipeline.Load.SourcePath) {
		return Manifest{}, fmt.Errorf("hyper2kvm manifest: pipeline.load %s %q is not a source hyper2kvm's workflow daemon loads", m.Pipeline.Load.SourceType, m.Pipeline.Load.SourcePath)
	}
	for i, n := range in.VM.NICs {
		m.NICs = append(m.NICs, ManifestNIC{ID: fmt.Sprintf("nic-%d", i), MAC: n.MAC, Network: n.Network, AdapterType: n.AdapterType, Label: n.Label})
	}
	return m, nil
}

func manifestDisk(vm provider.VM, f DiskFile, hints []int) (ManifestDisk, error) {
	if f.Disk < 0 || f.Disk >= len(vm.Disks) {
		return ManifestDisk{}, fmt.Errorf("%s is disk %d; the VM has %d", f.Path, f.Disk, len(vm.Disks))
	}
	if !filepath.IsAbs(f.Path) {
		return ManifestDisk{}, fmt.Errorf("disk %d: path %q is not absolute", f.Disk, f.Path)
	}
	format := SourceFormat(f.Format)
	if format == "" {
		return ManifestDisk{}, fmt.Errorf("disk %d: format %q is none hyper2kvm reads (vmdk, qcow2, raw, vhd, vhdx, vdi)", f.Disk, f.Format)
	}
	if !sha256Hex.MatchString(f.SHA256) {
		return ManifestDisk{}, fmt.Errorf("disk %d: checksum %q is not a SHA-256 in lowercase hex", f.Disk, f.SHA256)
	}
	if f.Size < 0 {
		return ManifestDisk{}, fmt.Errorf("disk %d: size %d", f.Disk, f.Size)
	}
	disk := vm.Disks[f.Disk]
	label := disk.Label
	if label == "" {
		label = fmt.Sprintf("disk %d", f.Disk)
	}
	kind := "data"
	if hints[f.Disk] == 0 {
		kind = "boot"
	}
	return ManifestDisk{
		ID: fmt.Sprintf("disk-%d", f.Disk), SourceFormat: format, Bytes: f.Size, LocalPath: filepath.Clean(f.Path),
		Checksum: "sha256:" + f.SHA256, BootOrderHint: hints[f.Disk], DiskType: kind, Label: label, CapacityBytes: disk.CapacityBytes,
	}, nil
}

// SourceFormat is the loader's name for a disk format, "" for one it does not read.
func SourceFormat(format string) string {
	switch {
	case strings.HasPrefix(format, provider.FormatVMDK):
		return "vmdk"
	case format == "vpc":
		return "vhd"
	case format == provider.FormatRaw, format == provider.FormatQCOW2, format == provider.FormatVHD, format == provider.FormatVHDX, format == "vdi":
		return format
	}
	return ""
}

// manifestVM maps the provider's picture to the loader's vm section.
func manifestVM(vm provider.VM) ManifestVM {
	out := ManifestVM{CPU: int(vm.CPUs), MemGB: (vm.MemoryMB + 1023) / 1024, SecureBoot: vm.SecureBoot, OSHint: OSHint(vm.GuestOS), GuestOS: vm.GuestOS}
	if out.CPU < 0 {
		out.CPU = 0
	}
	if out.MemGB < 0 {
		out.MemGB = 0
	}
	switch vm.Firmware {
	case provider.FirmwareEFI:
		out.Firmware = "uefi"
	case provider.FirmwareBIOS:
		out.Firmware = "bios"
	default:
		out.Firmware = "unknown"
	}
	return out
}

// OSHint reads a guest OS as platforms name it (vSphere guest ids such as rhel8_64Guest or
// windows2019srv_64Guest, cloud platform strings such as "Linux/UNIX") as linux, windows or
// unknown.
func OSHint(guest string) string {
	g := strings.ToLower(guest)
	if strings.HasPrefix(g, "win") || strings.Contains(g, "windows") {
		return "windows"
	}
	for _, l := range []string{"linux", "rhel", "centos", "ubuntu", "debian", "sles", "suse", "fedora", "oracle", "photon",
		"coreos", "rocky", "alma", "amazon", "mandr", "turbo", "asianux", "miracle", "kylin", "flatcar"} {
		if strings.Contains(g, l) {
			return "linux"
		}
	}
	return "unknown"
}
