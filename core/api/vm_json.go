package api

import (
	"strconv"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// VM is a provider's VM as the API shows it.
type VM struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	PowerState string   `json:"power_state"`
	Datacenter string   `json:"datacenter,omitempty"`
	Folder     string   `json:"folder,omitempty"`
	GuestOS    string   `json:"guest_os,omitempty"`
	CPUs       int32    `json:"cpus"`
	MemoryMB   int64    `json:"memory_mb"`
	Firmware   string   `json:"firmware,omitempty"`
	SecureBoot bool     `json:"secure_boot"`
	Disks      []Disk   `json:"disks"`
	NICs       []NIC    `json:"nics"`
	CDROMs     []CDROM  `json:"cdroms"`
	Tags       []string `json:"tags"`
}

// Disk is one virtual disk of a VM.
type Disk struct {
	Key             string `json:"key"`
	Label           string `json:"label,omitempty"`
	CapacityBytes   int64  `json:"capacity_bytes"`
	Controller      string `json:"controller,omitempty"`
	ControllerModel string `json:"controller_model,omitempty"`
	Unit            int32  `json:"unit"`
	BootOrder       int32  `json:"boot_order,omitempty"`
	Source          string `json:"source,omitempty"`
}

// NIC is one network adapter of a VM.
type NIC struct {
	Label       string `json:"label,omitempty"`
	MAC         string `json:"mac,omitempty"`
	Network     string `json:"network,omitempty"`
	AdapterType string `json:"adapter_type,omitempty"`
}

// CDROM is one optical drive of a VM.
type CDROM struct {
	Label     string `json:"label,omitempty"`
	ISO       string `json:"iso,omitempty"`
	Connected bool   `json:"connected"`
}

// VMSummary is a VM as /vms/list shows it. Providers may list VMs without their devices (the
// vSphere provider does: reading every VM's hardware would make listing a large inventory slow),
// so disks, nics and cdroms are absent when the provider gave none, rather than an empty list
// that says the VM has none; /vms/info always has them.
type VMSummary struct {
	VM
	Disks  []Disk  `json:"disks,omitempty"`
	NICs   []NIC   `json:"nics,omitempty"`
	CDROMs []CDROM `json:"cdroms,omitempty"`
}

func vmSummaryJSON(v provider.VM) VMSummary {
	full := vmJSON(v)
	return VMSummary{VM: full, Disks: full.Disks, NICs: full.NICs, CDROMs: full.CDROMs}
}

func vmJSON(v provider.VM) VM {
	out := VM{
		ID: v.ID, Name: v.Name, PowerState: v.PowerState, Datacenter: v.Datacenter, Folder: v.Folder,
		GuestOS: v.GuestOS, CPUs: v.CPUs, MemoryMB: v.MemoryMB, Firmware: v.Firmware, SecureBoot: v.SecureBoot,
		Disks: make([]Disk, len(v.Disks)), NICs: make([]NIC, len(v.NICs)), CDROMs: make([]CDROM, len(v.CDROMs)),
		Tags: append([]string{}, v.Tags...),
	}
	for i, d := range v.Disks {
		out.Disks[i] = Disk(d)
	}
	for i, n := range v.NICs {
		out.NICs[i] = NIC(n)
	}
	for i, c := range v.CDROMs {
		out.CDROMs[i] = CDROM(c)
	}
	return out
}

func quote(s string) string { return strconv.Quote(s) }
