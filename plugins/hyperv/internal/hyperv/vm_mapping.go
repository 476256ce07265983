package hyperv

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// vmRow is one VM as list_vms.ps1 prints it.
type vmRow struct {
	ID                 string    `json:"Id"`
	Name               string    `json:"Name"`
	State              string    `json:"State"`
	ComputerName       string    `json:"ComputerName"`
	Generation         int       `json:"Generation"`
	SecureBoot         bool      `json:"SecureBoot"`
	SecureBootTemplate string    `json:"SecureBootTemplate"`
	ProcessorCount     int32     `json:"ProcessorCount"`
	MemoryStartupBytes int64     `json:"MemoryStartupBytes"`
	DynamicMemory      bool      `json:"DynamicMemory"`
	MemoryMaximumBytes int64     `json:"MemoryMaximumBytes"`
	Notes              string    `json:"Notes"`
	Disks              []diskRow `json:"Disks"`
	NICs               []nicRow  `json:"NICs"`
	DVDs               []dvdRow  `json:"DVDs"`
}

type diskRow struct {
	Path               string `json:"Path"`
	ControllerType     string `json:"ControllerType"`
	ControllerNumber   int    `json:"ControllerNumber"`
	ControllerLocation int    `json:"ControllerLocation"`
	SizeBytes          int64  `json:"SizeBytes"`
	DiskNumber         *int   `json:"DiskNumber"`
}

type nicRow struct {
	Name       string `json:"Name"`
	MacAddress string `json:"MacAddress"`
	SwitchName string `json:"SwitchName"`
	VlanID     int    `json:"VlanId"`
}

type dvdRow struct {
	Path               string `json:"Path"`
	ControllerType     string `json:"ControllerType"`
	ControllerNumber   int    `json:"ControllerNumber"`
	ControllerLocation int    `json:"ControllerLocation"`
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// vm maps a row to the contract's VM. Generation 2 is UEFI; tags are the notes' lines that
// read "tag: key=value" (or "tag: key").
func (r vmRow) vm() provider.VM {
	vm := provider.VM{ID: strings.ToLower(r.ID), Name: r.Name, PowerState: powerState(r.State), Datacenter: r.ComputerName,
		CPUs: r.ProcessorCount, MemoryMB: r.MemoryStartupBytes >> 20, Firmware: provider.FirmwareBIOS,
		Disks: []provider.Disk{}, NICs: []provider.NIC{}, CDROMs: []provider.CDROM{}, Tags: []string{}}
	if r.Generation == 2 {
		vm.Firmware, vm.SecureBoot = provider.FirmwareEFI, r.SecureBoot
	}
	for _, d := range r.Disks {
		disk := provider.Disk{Key: diskKey(d), Label: d.ControllerType + " " + diskLocation(d), CapacityBytes: d.SizeBytes,
			Controller: strings.ToLower(d.ControllerType), Unit: int32(d.ControllerLocation), Source: d.Path}
		if d.DiskNumber != nil {
			disk.Source = fmt.Sprintf("physical disk %d (pass-through)", *d.DiskNumber)
		}
		vm.Disks = append(vm.Disks, disk)
	}
	if len(vm.Disks) > 0 {
		vm.Disks[0].BootOrder = 1
	}
	for _, n := range r.NICs {
		nic := provider.NIC{Label: n.Name, MAC: mac(n.MacAddress), Network: n.SwitchName, AdapterType: "hyperv-synthetic"}
		if n.VlanID > 0 {
			nic.Network = fmt.Sprintf("%s (VLAN %d)", n.SwitchName, n.VlanID)
		}
		vm.NICs = append(vm.NICs, nic)
	}
	for _, c := range r.DVDs {
		vm.CDROMs = append(vm.CDROMs, provider.CDROM{Label: c.ControllerType + " " + fmt.Sprintf("%d:%d", c.ControllerNumber, c.ControllerLocation), ISO: c.Path, Connected: c.Path != ""})
	}
	for _, line := range strings.Split(r.Notes, "\n") {
		if tag, ok := strings.CutPrefix(strings.TrimSpace(line), "tag:"); ok && strings.TrimSpace(tag) != "" {
			vm.Tags = append(vm.Tags, strings.TrimSpace(tag))
		}
	}
	return vm
}

func diskLocation(d diskRow) string {
	return fmt.Sprintf("%d:%d", d.ControllerNumber, d.ControllerLocation)
}

func diskKey(d diskRow) string { return strings.ToLower(d.ControllerType) + "-" + diskLocation(d) }

// powerState maps Hyper-V's VM state; the transitional states count as on.
func powerState(s string) string {
	switch s {
	case "Off", "OffCritical":
		return provider.PowerOff
	case "Saved", "Paused", "SavedCritical", "PausedCritical":
		return provider.PowerSuspended
	}
	return provider.PowerOn
}

// mac writes Hyper-V's 00155D010203 as 00:15:5d:01:02:03.
func mac(s string) string {
	if len(s) != 12 {
		return strings.ToLower(s)
	}
	var b strings.Builder
	for i := 0; i < 12; i += 2 {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(strings.ToLower(s[i : i+2]))
	}
	return b.String()
}

func equalFold(a, b string) bool { return strings.EqualFold(a, b) }
