package api

import (
	"strconv"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// VMSummary is a VM as /vms/list shows it. Providers may list VMs without their devices (the
// vSphere provider does: reading every VM's hardware would make listing a large inventory slow),
// so disks, nics and cdroms are absent when the provider gave none, rather than an empty list
// that says the VM has none; /vms/info always has them.
// It is only written: provider.VM's UnmarshalJSON, promoted by the embedding, would read it.
type VMSummary struct {
	provider.VM
	Disks  []provider.Disk  `json:"disks,omitempty"`
	NICs   []provider.NIC   `json:"nics,omitempty"`
	CDROMs []provider.CDROM `json:"cdroms,omitempty"`
}

func vmSummaryJSON(v provider.VM) VMSummary {
	full := vmJSON(v)
	return VMSummary{VM: full, Disks: full.Disks, NICs: full.NICs, CDROMs: full.CDROMs}
}

// vmJSON is v as the API shows it: the lists a VM has none of are [], not null.
func vmJSON(v provider.VM) provider.VM {
	v.Disks = nonNil(v.Disks)
	v.NICs = nonNil(v.NICs)
	v.CDROMs = nonNil(v.CDROMs)
	v.Tags = nonNil(v.Tags)
	return v
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func quote(s string) string { return strconv.Quote(s) }
