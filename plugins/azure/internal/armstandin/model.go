package armstandin

import (
	"sort"
	"strings"
)

// VM is a virtual machine the stand-in serves.
type VM struct {
	ResourceGroup string
	Name          string
	Location      string
	Size          string // a size the stand-in knows: Standard_B2s, Standard_D4s_v5
	Tags          map[string]string
	// Power is ARM's power state code after "PowerState/": running, deallocated, stopped.
	Power     string
	OSType    string // Linux or Windows
	OSDisk    string // name of a managed disk in the same resource group
	DataDisks []string
	// SecurityType is "", TrustedLaunch or ConfidentialVM; SecureBoot and VTPM its UEFI settings.
	SecurityType     string
	SecureBoot, VTPM bool
	NICs             []NIC
}

// NIC is a network interface of a VM, in the VM's resource group.
type NIC struct {
	Name   string
	MAC    string // as Azure writes it: 00-0D-3A-12-34-56
	VNet   string
	Subnet string
}

// Disk is a managed disk. Data maps 512-aligned offsets to the bytes written there; everything
// else reads as zeros and is not an allocated page.
type Disk struct {
	ResourceGroup string
	Name          string
	Location      string
	SizeBytes     int64
	SectorSize    int32 // 512 (default) or 4096
	// NetworkAccessPolicy is AllowAll (default), AllowPrivate or DenyAll.
	NetworkAccessPolicy string
	// DataAccessAuthMode is None (default) or AzureActiveDirectory (see Options.DataToken).
	DataAccessAuthMode string
	HyperVGeneration   string // V1 or V2
	Data               map[int64][]byte
}

// snapshot is a snapshot the stand-in made: the source disk's data when it was taken.
type snapshot struct {
	ResourceGroup, Name, Location string
	Source                        string // ARM id of the disk
	SizeBytes                     int64
	Data                          map[int64][]byte
	Incremental                   bool
	Ready                         bool
	// Grant is the blob serving an open grant ("" when none).
	Grant string
}

// key is how the stand-in indexes resources: ARM names are case-insensitive.
func key(rg, name string) string { return strings.ToLower(rg) + "/" + strings.ToLower(name) }

// offsets lists a data map's offsets in order.
func offsets(data map[int64][]byte) []int64 {
	out := make([]int64, 0, len(data))
	for off := range data {
		out = append(out, off)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// sizes are the VM sizes the stand-in knows, as ARM's vmSizes list names them.
var sizes = []struct {
	Name     string
	Cores    int32
	MemoryMB int32
}{
	{"Standard_B1s", 1, 1024},
	{"Standard_B2s", 2, 4096},
	{"Standard_D4s_v5", 4, 16384},
}
