package provider

import (
	"encoding/json"
	"fmt"
)

// UnmarshalJSON reads a VM in its JSON shape and, for records written before VM had JSON names,
// in the Go field names they were stored with ("ID", "PowerState", "CPUs"): job records in the
// daemon's store keep a VM for as long as the job is kept.
func (v *VM) UnmarshalJSON(b []byte) error {
	type shape VM // without the method, so no recursion
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return fmt.Errorf("decode VM: %w", err)
	}
	_, oldID := keys["ID"]
	_, oldName := keys["Name"]
	if !oldID && !oldName {
		return json.Unmarshal(b, (*shape)(v))
	}
	var old legacyVM
	if err := json.Unmarshal(b, &old); err != nil {
		return fmt.Errorf("decode VM stored with Go field names: %w", err)
	}
	*v = old.vm()
	return nil
}

// legacyVM, legacyDisk and legacyNIC are VM, Disk and NIC without JSON names, as records were
// stored before: the field names decode as they are. CDROM's names differ only in case, which
// encoding/json ignores.
type legacyVM struct {
	ID, Name, PowerState, Datacenter, Folder, GuestOS string
	CPUs                                              int32
	MemoryMB                                          int64
	Firmware                                          string
	SecureBoot                                        bool
	Disks                                             []legacyDisk
	NICs                                              []legacyNIC
	CDROMs                                            []CDROM
	Tags                                              []string
}

type legacyDisk struct {
	Key             string
	Label           string
	CapacityBytes   int64
	Controller      string
	ControllerModel string
	Unit            int32
	BootOrder       int32
	Source          string
}

type legacyNIC struct {
	Label       string
	MAC         string
	Network     string
	AdapterType string
}

func (o legacyVM) vm() VM {
	v := VM{
		ID: o.ID, Name: o.Name, PowerState: o.PowerState, Datacenter: o.Datacenter, Folder: o.Folder,
		GuestOS: o.GuestOS, CPUs: o.CPUs, MemoryMB: o.MemoryMB, Firmware: o.Firmware, SecureBoot: o.SecureBoot,
		CDROMs: o.CDROMs, Tags: o.Tags,
	}
	for _, d := range o.Disks {
		v.Disks = append(v.Disks, Disk{Key: d.Key, Label: d.Label, CapacityBytes: d.CapacityBytes, Controller: d.Controller,
			ControllerModel: d.ControllerModel, Unit: d.Unit, BootOrder: d.BootOrder, Source: d.Source})
	}
	for _, n := range o.NICs {
		v.NICs = append(v.NICs, NIC(n))
	}
	return v
}
