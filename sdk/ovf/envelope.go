// Package ovf reads and writes OVF descriptors (DMTF OVF 1.x, as vSphere exports them) in terms
// of the SDK's provider.VM. Providers whose platform has no descriptor of its own write one with
// Write; hypervisord's pipeline reads any descriptor back with Parse to rebuild the VM on KVM.
package ovf

import "encoding/xml"

// XML namespaces of an OVF 1.x envelope.
const (
	nsOVF  = "http://schemas.dmtf.org/ovf/envelope/1"
	nsRASD = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
	nsVSSD = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
	nsVMW  = "http://www.vmware.com/schema/ovf"
	nsXSI  = "http://www.w3.org/2001/XMLSchema-instance"
)

// Disk formats named in DiskSection.
const (
	FormatStreamOptimized = "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"
	FormatSparse          = "http://www.vmware.com/interfaces/specifications/vmdk.html#sparse"
)

// CIM resource types used in VirtualHardwareSection items.
const (
	rtIDE    = 5
	rtSCSI   = 6
	rtNIC    = 10
	rtCDROM  = 15
	rtDisk   = 17
	rtSATA   = 20
	rtCPU    = 3
	rtMemory = 4
	rtNVMe   = 20 // VMware writes NVMe controllers as type 20 with subtype vmware.nvme.controller
)

// envelope mirrors the parts of an OVF descriptor that Parse reads. encoding/xml matches names
// without a namespace by local name, so "ovf:href", "rasd:ElementName" and unprefixed forms all
// parse. Write uses a template instead: encoding/xml cannot emit the conventional prefixes.
type envelope struct {
	XMLName    xml.Name       `xml:"Envelope"`
	References []fileRef      `xml:"References>File"`
	Disks      []diskEntry    `xml:"DiskSection>Disk"`
	Networks   []networkEntry `xml:"NetworkSection>Network"`
	System     virtualSystem  `xml:"VirtualSystem"`
}

type fileRef struct {
	ID          string `xml:"id,attr"`
	Href        string `xml:"href,attr"`
	Size        int64  `xml:"size,attr,omitempty"`
	Compression string `xml:"compression,attr,omitempty"`
}

type diskEntry struct {
	DiskID       string `xml:"diskId,attr"`
	FileRef      string `xml:"fileRef,attr"`
	Capacity     string `xml:"capacity,attr"`
	CapacityUnit string `xml:"capacityAllocationUnits,attr,omitempty"`
	Format       string `xml:"format,attr,omitempty"`
	Populated    int64  `xml:"populatedSize,attr,omitempty"`
}

type networkEntry struct {
	Name        string `xml:"name,attr"`
	Description string `xml:"Description"`
}

type virtualSystem struct {
	ID       string    `xml:"id,attr"`
	Info     string    `xml:"Info"`
	Name     string    `xml:"Name"`
	OS       osSection `xml:"OperatingSystemSection"`
	Hardware hardware  `xml:"VirtualHardwareSection"`
}

type osSection struct {
	ID     string `xml:"id,attr"`
	OSType string `xml:"osType,attr"`
	Info   string `xml:"Info"`
}

type hardware struct {
	Info    string      `xml:"Info"`
	System  system      `xml:"System"`
	Items   []item      `xml:"Item"`
	Configs []vmwConfig `xml:"Config"`
}

type system struct {
	ElementName string `xml:"ElementName"`
	InstanceID  string `xml:"InstanceID"`
	Identifier  string `xml:"VirtualSystemIdentifier"`
	Type        string `xml:"VirtualSystemType"`
}

// item is one rasd Item. Element names are matched without namespace on read.
type item struct {
	Address         string      `xml:"Address,omitempty"`
	AddressOnParent string      `xml:"AddressOnParent,omitempty"`
	AutomaticAlloc  string      `xml:"AutomaticAllocation,omitempty"`
	AllocationUnits string      `xml:"AllocationUnits,omitempty"`
	Connection      []string    `xml:"Connection,omitempty"`
	Description     string      `xml:"Description,omitempty"`
	ElementName     string      `xml:"ElementName"`
	HostResource    []string    `xml:"HostResource,omitempty"`
	InstanceID      string      `xml:"InstanceID"`
	Parent          string      `xml:"Parent,omitempty"`
	ResourceSubType string      `xml:"ResourceSubType,omitempty"`
	ResourceType    int         `xml:"ResourceType"`
	VirtualQuantity int64       `xml:"VirtualQuantity,omitempty"`
	Configs         []vmwConfig `xml:"Config,omitempty"`
}

type vmwConfig struct {
	Required string `xml:"required,attr,omitempty"`
	Key      string `xml:"key,attr"`
	Value    string `xml:"value,attr"`
}
