package provider

// Power states as the seed's filter spells them.
const (
	PowerOn        = "poweredOn"
	PowerOff       = "poweredOff"
	PowerSuspended = "suspended"
)

// Firmware kinds.
const (
	FirmwareBIOS = "bios"
	FirmwareEFI  = "efi"
)

// Filter narrows ListVMs. Empty fields match everything; Tags must all be present on a VM.
// NamePattern is a shell glob (path.Match syntax) over the VM name. On a platform without
// datacenters, Datacenter is its region, location or zone (us-east-1, westeurope, us-central1-a).
// A tag is "key" or "key=value" (see MatchTags).
type Filter struct {
	Datacenter  string
	Folder      string
	PowerState  string
	Tags        []string
	NamePattern string
}

// Filter fields by the names the API's filter object gives them, for Info.Filters.
const (
	FilterDatacenter  = "datacenter"
	FilterFolder      = "folder"
	FilterPowerState  = "status"
	FilterTags        = "tags"
	FilterNamePattern = "name_pattern"
)

// VM is a virtual machine as a provider sees it: enough hardware detail to rebuild it on KVM.
// Its JSON shape is the one everything shows and stores — /vms/info, job results, hyper2kvm
// manifests; job records stored before it had JSON names still decode (see UnmarshalJSON).
type VM struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	PowerState string `json:"power_state"`
	Datacenter string `json:"datacenter,omitempty"`
	Folder     string `json:"folder,omitempty"`
	GuestOS    string `json:"guest_os,omitempty"`
	CPUs       int32  `json:"cpus"`
	MemoryMB   int64  `json:"memory_mb"`
	Firmware   string `json:"firmware,omitempty"`
	SecureBoot bool   `json:"secure_boot"`
	// TPM says the VM has a virtual TPM 2.0 (Azure trusted launch, Hyper-V key protector):
	// the domain gets an emulated one, so BitLocker and measured boot keep working.
	TPM    bool     `json:"tpm,omitempty"`
	Disks  []Disk   `json:"disks"`
	NICs   []NIC    `json:"nics"`
	CDROMs []CDROM  `json:"cdroms"`
	Tags   []string `json:"tags"`
}

// Disk is one virtual disk.
type Disk struct {
	Key             string `json:"key"` // provider's stable id for the disk within the VM
	Label           string `json:"label,omitempty"`
	CapacityBytes   int64  `json:"capacity_bytes"`
	Controller      string `json:"controller,omitempty"`       // scsi, sata, ide, nvme
	ControllerModel string `json:"controller_model,omitempty"` // e.g. pvscsi, lsilogic; empty when not known
	Unit            int32  `json:"unit"`
	BootOrder       int32  `json:"boot_order,omitempty"` // 1 = first; 0 = not in boot order
	Source          string `json:"source,omitempty"`
	// SectorSize is the disk's logical sector size in bytes (512, 4096), 0 when the platform
	// does not say. A 4096 disk is attached with 4 KiB logical blocks: its partition table
	// is in 4 KiB sectors.
	SectorSize int32 `json:"sector_size,omitempty"`
	// Caching is the platform's host caching of the disk as it names it (Azure: None,
	// ReadOnly, ReadWrite); shown, not carried over.
	Caching string `json:"caching,omitempty"`
}

// NIC is one network adapter.
type NIC struct {
	Label       string `json:"label,omitempty"`
	MAC         string `json:"mac,omitempty"`
	Network     string `json:"network,omitempty"`
	AdapterType string `json:"adapter_type,omitempty"` // e.g. vmxnet3, e1000e
}

// CDROM is one optical drive.
type CDROM struct {
	Label     string `json:"label,omitempty"`
	ISO       string `json:"iso,omitempty"`
	Connected bool   `json:"connected"`
}
