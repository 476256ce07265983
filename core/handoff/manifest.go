package handoff

// Manifest is an Artifact Manifest v1.0 as hyper2kvm's loader (hyper2kvm/manifest/loader.py)
// reads it. Field names, types and value sets follow the loader's rules exactly: a manifest that
// breaks one fails as a whole in hyper2kvm, long after the job that wrote it ended.
type Manifest struct {
	Version  string         `json:"manifest_version"` // always "1.0": the loader compares strings
	Source   Source         `json:"source"`
	VM       ManifestVM     `json:"vm"`
	Disks    []ManifestDisk `json:"disks"`
	NICs     []ManifestNIC  `json:"nics"`
	Notes    []string       `json:"notes,omitempty"`
	Metadata Metadata       `json:"metadata"`
	Pipeline Pipeline       `json:"pipeline"`
	Output   Output         `json:"output"`
}

// ManifestVersion is the only version hyper2kvm 0.2 accepts.
const ManifestVersion = "1.0"

// Source says where the VM came from; hyper2kvm copies it into its report.
type Source struct {
	Provider        string `json:"provider"`
	VMID            string `json:"vm_id"`
	VMName          string `json:"vm_name"`
	Datacenter      string `json:"datacenter,omitempty"`
	ExportTimestamp string `json:"export_timestamp"` // RFC 3339, UTC
	ExportMethod    string `json:"export_method"`
}

// ManifestVM is the hardware hyper2kvm's fixer and domain builder read. CPU and MemGB are
// omitted when the provider did not report them: the loader refuses 0.
type ManifestVM struct {
	CPU        int    `json:"cpu,omitempty"`
	MemGB      int64  `json:"mem_gb,omitempty"`
	Firmware   string `json:"firmware"` // bios, uefi or unknown
	SecureBoot bool   `json:"secureboot"`
	OSHint     string `json:"os_hint"` // linux, windows or unknown
	GuestOS    string `json:"os_version,omitempty"`
}

// ManifestDisk is one disk file hyper2kvm opens.
type ManifestDisk struct {
	ID            string `json:"id"`
	SourceFormat  string `json:"source_format"`
	Bytes         int64  `json:"bytes"`
	LocalPath     string `json:"local_path"`
	Checksum      string `json:"checksum"`
	BootOrderHint int    `json:"boot_order_hint"`
	DiskType      string `json:"disk_type"`
	Label         string `json:"label"`
	CapacityBytes int64  `json:"capacity_bytes,omitempty"`
}

// ManifestNIC is one network adapter; the loader keeps nics free-form.
type ManifestNIC struct {
	ID          string `json:"id"`
	MAC         string `json:"mac,omitempty"`
	Network     string `json:"network,omitempty"`
	AdapterType string `json:"adapter_type,omitempty"`
	Label       string `json:"label,omitempty"`
}

// Metadata ties the manifest to the hypervisord job that wrote it.
type Metadata struct {
	JobID     string `json:"job_id"`
	Producer  string `json:"producer"`
	CreatedAt string `json:"created_at"` // RFC 3339, UTC
}

// Pipeline is hyper2kvm's stage configuration. Load is what the 0.2.0 workflow daemon reads to
// pick its command (it fails the manifest with "Unknown source_type" without it).
type Pipeline struct {
	Load     Load    `json:"load"`
	Inspect  Stage   `json:"inspect"`
	Fix      Stage   `json:"fix"`
	Convert  Convert `json:"convert"`
	Validate Stage   `json:"validate"`
}

// Load names the export hyper2kvm's workflow daemon opens: source_type vmdk, ova, ovf, vhd, vhdx,
// raw or ami.
type Load struct {
	SourceType string `json:"source_type"`
	SourcePath string `json:"source_path"`
}

// Stage switches one pipeline stage.
type Stage struct {
	Enabled bool `json:"enabled"`
}

// Convert is the convert stage; Compress writes compressed qcow2 clusters.
type Convert struct {
	Enabled  bool `json:"enabled"`
	Compress bool `json:"compress"`
}

// Output is where and in which format hyper2kvm writes the converted disks.
type Output struct {
	Directory string `json:"directory"`
	Format    string `json:"format"` // qcow2, raw or vdi
}
