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
// NamePattern is a shell glob (path.Match syntax) over the VM name.
type Filter struct {
	Datacenter  string
	Folder      string
	PowerState  string
	Tags        []string
	NamePattern string
}

// VM is a virtual machine as a provider sees it: enough hardware detail to rebuild it on KVM.
type VM struct {
	ID         string
	Name       string
	PowerState string
	Datacenter string
	Folder     string
	GuestOS    string
	CPUs       int32
	MemoryMB   int64
	Firmware   string
	SecureBoot bool
	Disks      []Disk
	NICs       []NIC
	CDROMs     []CDROM
	Tags       []string
}

// Disk is one virtual disk.
type Disk struct {
	Key             string // provider's stable id for the disk within the VM
	Label           string
	CapacityBytes   int64
	Controller      string // scsi, sata, ide, nvme
	ControllerModel string // e.g. pvscsi, lsilogic; empty when not known
	Unit            int32
	BootOrder       int32 // 1 = first; 0 = not in boot order
	Source          string
}

// NIC is one network adapter.
type NIC struct {
	Label       string
	MAC         string
	Network     string
	AdapterType string // e.g. vmxnet3, e1000e
}

// CDROM is one optical drive.
type CDROM struct {
	Label     string
	ISO       string
	Connected bool
}
