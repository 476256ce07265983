package ovf

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// MaxDescriptorBytes bounds what Parse accepts; real descriptors are a few tens of KiB.
const MaxDescriptorBytes = 4 << 20

// Parse reads an OVF descriptor into the VM it describes and the files holding its disks.
// Hostile input (oversized, malformed, file references that leave the package) is an error.
func Parse(data []byte) (provider.VM, []DiskFile, error) {
	if len(data) > MaxDescriptorBytes {
		return provider.VM{}, nil, fmt.Errorf("ovf: descriptor is %d bytes, more than the %d allowed", len(data), MaxDescriptorBytes)
	}
	var env envelope
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	if err := dec.Decode(&env); err != nil {
		return provider.VM{}, nil, fmt.Errorf("ovf: malformed descriptor: %w", err)
	}
	if env.XMLName.Local != "Envelope" {
		return provider.VM{}, nil, fmt.Errorf("ovf: root element is %q, not Envelope", env.XMLName.Local)
	}
	files := map[string]fileRef{}
	for _, f := range env.References {
		if err := checkHref(f.Href); err != nil {
			return provider.VM{}, nil, err
		}
		files[f.ID] = f
	}
	disks := map[string]diskEntry{}
	for _, d := range env.Disks {
		disks[d.DiskID] = d
	}

	sys := env.System
	vm := provider.VM{ID: sys.ID, Name: sys.Name, GuestOS: sys.OS.OSType, Firmware: provider.FirmwareBIOS, PowerState: provider.PowerOff}
	if vm.Name == "" {
		vm.Name = sys.ID
	}
	for _, c := range sys.Hardware.Configs {
		switch c.Key {
		case "firmware":
			vm.Firmware = strings.ToLower(c.Value)
		case "bootOptions.efiSecureBootEnabled":
			vm.SecureBoot = c.Value == "true"
		}
	}
	controllers := map[string]item{}
	for _, it := range sys.Hardware.Items {
		switch it.ResourceType {
		case rtIDE, rtSCSI, rtSATA:
			controllers[it.InstanceID] = it
		}
	}
	var out []DiskFile
	for _, it := range sys.Hardware.Items {
		switch it.ResourceType {
		case rtCPU:
			vm.CPUs = int32(it.VirtualQuantity)
		case rtMemory:
			vm.MemoryMB = scaleToMB(it.VirtualQuantity, it.AllocationUnits)
		case rtDisk:
			disk, file, err := parseDisk(it, controllers, disks, files)
			if err != nil {
				return provider.VM{}, nil, err
			}
			file.Disk = len(vm.Disks)
			vm.Disks = append(vm.Disks, disk)
			out = append(out, file)
		case rtNIC:
			n := provider.NIC{Label: it.ElementName, MAC: it.Address, AdapterType: strings.ToLower(it.ResourceSubType)}
			if len(it.Connection) > 0 {
				n.Network = it.Connection[0]
			}
			vm.NICs = append(vm.NICs, n)
		case rtCDROM, 16:
			vm.CDROMs = append(vm.CDROMs, provider.CDROM{Label: it.ElementName, Connected: it.AutomaticAlloc == "true"})
		}
	}
	if len(vm.Disks) > 0 && !hasBootOrder(vm.Disks) {
		vm.Disks[0].BootOrder = 1
	}
	return vm, out, nil
}

func parseDisk(it item, controllers map[string]item, disks map[string]diskEntry, files map[string]fileRef) (provider.Disk, DiskFile, error) {
	d := provider.Disk{Label: it.ElementName, Key: it.InstanceID}
	if u, err := strconv.Atoi(it.AddressOnParent); err == nil {
		d.Unit = int32(u)
	}
	if c, ok := controllers[it.Parent]; ok {
		d.Controller, d.ControllerModel = controllerKind(c)
	}
	for _, cfg := range it.Configs {
		if cfg.Key == "bootOrder" {
			if n, err := strconv.Atoi(cfg.Value); err == nil {
				d.BootOrder = int32(n)
			}
		}
	}
	if len(it.HostResource) == 0 {
		return d, DiskFile{}, fmt.Errorf("ovf: disk item %q has no HostResource", it.ElementName)
	}
	id := strings.TrimPrefix(strings.TrimPrefix(it.HostResource[0], "ovf:/disk/"), "/disk/")
	entry, ok := disks[id]
	if !ok {
		return d, DiskFile{}, fmt.Errorf("ovf: disk item %q refers to unknown disk %q", it.ElementName, id)
	}
	capacity, err := strconv.ParseInt(entry.Capacity, 10, 64)
	if err != nil {
		return d, DiskFile{}, fmt.Errorf("ovf: disk %q capacity %q is not a number", id, entry.Capacity)
	}
	d.CapacityBytes = capacity * unitBytes(entry.CapacityUnit)
	f, ok := files[entry.FileRef]
	if !ok {
		return d, DiskFile{}, fmt.Errorf("ovf: disk %q refers to unknown file %q", id, entry.FileRef)
	}
	d.Source = f.Href
	return d, DiskFile{Href: f.Href, Size: f.Size, Format: entry.Format}, nil
}

func controllerKind(c item) (kind, model string) {
	sub := strings.ToLower(c.ResourceSubType)
	switch {
	case c.ResourceType == rtIDE:
		return "ide", ""
	case strings.Contains(sub, "nvme"):
		return "nvme", ""
	case c.ResourceType == rtSATA || strings.Contains(sub, "ahci"):
		return "sata", ""
	case sub == "virtualscsi":
		return "scsi", "pvscsi"
	case sub == "lsilogicsas":
		return "scsi", "lsilogic-sas"
	case sub == "":
		return "scsi", "lsilogic"
	}
	return "scsi", sub
}

// checkHref refuses file references that could leave the directory or archive holding the
// descriptor: absolute paths, "..", URLs, backslashes.
func checkHref(href string) error {
	if href == "" || strings.ContainsAny(href, "\\\x00") || strings.Contains(href, "://") ||
		path.IsAbs(href) || path.Clean(href) != href || href == ".." || strings.HasPrefix(href, "../") {
		return fmt.Errorf("ovf: file reference %q leaves the package", href)
	}
	return nil
}

// unitBytes parses capacityAllocationUnits such as "byte", "byte * 2^30".
func unitBytes(unit string) int64 {
	unit = strings.ReplaceAll(unit, " ", "")
	if !strings.HasPrefix(unit, "byte*2^") {
		return 1
	}
	exp, err := strconv.Atoi(strings.TrimPrefix(unit, "byte*2^"))
	if err != nil || exp < 0 || exp > 50 {
		return 1
	}
	return 1 << exp
}

func scaleToMB(q int64, unit string) int64 {
	b := unitBytes(unit)
	if strings.EqualFold(strings.TrimSpace(unit), "MegaBytes") || unit == "" {
		return q
	}
	return q * b >> 20
}

func hasBootOrder(disks []provider.Disk) bool {
	for _, d := range disks {
		if d.BootOrder > 0 {
			return true
		}
	}
	return false
}
