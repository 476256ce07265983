package ovf

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"text/template"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// DiskFile names the file that holds one of the VM's disks in the export.
type DiskFile struct {
	Disk   int    // index into VM.Disks
	Href   string // file name relative to the descriptor
	Size   int64  // bytes of the file as written
	Format string // FormatStreamOptimized, FormatSparse, or "" for raw
}

// Write renders an OVF 1.0 descriptor for vm whose disks are in files. CD-ROMs are included
// unless the caller removed them from vm first.
func Write(vm provider.VM, files []DiskFile) ([]byte, error) {
	byDisk := map[int]DiskFile{}
	for _, f := range files {
		if f.Disk < 0 || f.Disk >= len(vm.Disks) {
			return nil, fmt.Errorf("ovf: disk file %q refers to disk %d, VM has %d", f.Href, f.Disk, len(vm.Disks))
		}
		byDisk[f.Disk] = f
	}
	data := tmplData{VM: vm, Files: files}
	ids := newIDs()
	data.CPUID, data.MemID = ids.next(), ids.next()
	controllers := map[string]string{} // controller kind → InstanceID
	for i, d := range vm.Disks {
		kind := d.Controller
		if kind == "" {
			kind = "scsi"
		}
		cid, ok := controllers[kind]
		if !ok {
			cid = ids.next()
			controllers[kind] = cid
			data.Controllers = append(data.Controllers, tmplController{ID: cid, Kind: kind, Type: controllerType(kind), SubType: controllerSubType(kind, d.ControllerModel), Index: len(data.Controllers)})
		}
		f, ok := byDisk[i]
		if !ok {
			return nil, fmt.Errorf("ovf: disk %d (%s) has no file", i, d.Label)
		}
		data.Disks = append(data.Disks, tmplDisk{Disk: d, File: f, ID: ids.next(), Parent: cid, Index: i + 1})
	}
	if len(vm.CDROMs) > 0 {
		cid, ok := controllers["ide"]
		if !ok {
			cid = ids.next()
			data.Controllers = append(data.Controllers, tmplController{ID: cid, Kind: "ide", Type: rtIDE, Index: len(data.Controllers)})
		}
		for i, c := range vm.CDROMs {
			data.CDROMs = append(data.CDROMs, tmplCDROM{CDROM: c, ID: ids.next(), Parent: cid, Unit: i})
		}
	}
	networks := map[string]bool{}
	for _, n := range vm.NICs {
		data.NICs = append(data.NICs, tmplNIC{NIC: n, ID: ids.next(), SubType: nicSubType(n.AdapterType)})
		if !networks[n.Network] {
			networks[n.Network] = true
			data.Networks = append(data.Networks, n.Network)
		}
	}
	var buf bytes.Buffer
	if err := descriptor.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("ovf: render descriptor: %w", err)
	}
	return buf.Bytes(), nil
}

type tmplData struct {
	VM           provider.VM
	Files        []DiskFile
	CPUID, MemID string
	Controllers  []tmplController
	Disks        []tmplDisk
	CDROMs       []tmplCDROM
	NICs         []tmplNIC
	Networks     []string
}

type tmplController struct {
	ID, Kind, SubType string
	Type, Index       int
}

type tmplDisk struct {
	provider.Disk
	File       DiskFile
	ID, Parent string
	Index      int
}

type tmplCDROM struct {
	provider.CDROM
	ID, Parent string
	Unit       int
}

type tmplNIC struct {
	provider.NIC
	ID, SubType string
}

type ids struct{ n int }

func newIDs() *ids          { return &ids{} }
func (i *ids) next() string { i.n++; return fmt.Sprint(i.n) }

func controllerType(kind string) int {
	switch kind {
	case "ide":
		return rtIDE
	case "sata":
		return rtSATA
	case "nvme":
		return rtNVMe
	}
	return rtSCSI
}

func controllerSubType(kind, model string) string {
	switch kind {
	case "sata":
		return "vmware.sata.ahci"
	case "nvme":
		return "vmware.nvme.controller"
	case "ide":
		return ""
	}
	switch model {
	case "pvscsi":
		return "VirtualSCSI"
	case "buslogic":
		return "buslogic"
	case "lsilogic-sas":
		return "lsilogicsas"
	}
	return "lsilogic"
}

func nicSubType(adapter string) string {
	switch strings.ToLower(adapter) {
	case "vmxnet3":
		return "VmxNet3"
	case "e1000e":
		return "E1000e"
	case "e1000":
		return "E1000"
	case "vmxnet2":
		return "VmxNet2"
	}
	return adapter
}

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

var descriptor = template.Must(template.New("ovf").Funcs(template.FuncMap{"x": xmlEscape}).Parse(`<?xml version="1.0" encoding="UTF-8"?>
<Envelope vmw:buildId="hypersdk" xmlns="` + nsOVF + `" xmlns:ovf="` + nsOVF + `" xmlns:rasd="` + nsRASD + `" xmlns:vssd="` + nsVSSD + `" xmlns:vmw="` + nsVMW + `" xmlns:xsi="` + nsXSI + `">
  <References>
{{- range $i, $f := .Files}}
    <File ovf:id="file{{$f.Disk}}" ovf:href="{{x $f.Href}}"{{if $f.Size}} ovf:size="{{$f.Size}}"{{end}}/>
{{- end}}
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
{{- range .Disks}}
    <Disk ovf:capacity="{{.CapacityBytes}}" ovf:capacityAllocationUnits="byte" ovf:diskId="vmdisk{{.Index}}" ovf:fileRef="file{{.File.Disk}}"{{if .File.Format}} ovf:format="{{x .File.Format}}"{{end}}/>
{{- end}}
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
{{- range .Networks}}
    <Network ovf:name="{{x .}}">
      <Description>The {{x .}} network</Description>
    </Network>
{{- end}}
  </NetworkSection>
  <VirtualSystem ovf:id="{{x .VM.Name}}">
    <Info>A virtual machine</Info>
    <Name>{{x .VM.Name}}</Name>
    <OperatingSystemSection ovf:id="1" vmw:osType="{{x .VM.GuestOS}}">
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>{{x .VM.Name}}</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:Description>Number of Virtual CPUs</rasd:Description>
        <rasd:ElementName>{{.VM.CPUs}} virtual CPU(s)</rasd:ElementName>
        <rasd:InstanceID>{{.CPUID}}</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>{{.VM.CPUs}}</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:Description>Memory Size</rasd:Description>
        <rasd:ElementName>{{.VM.MemoryMB}}MB of memory</rasd:ElementName>
        <rasd:InstanceID>{{.MemID}}</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>{{.VM.MemoryMB}}</rasd:VirtualQuantity>
      </Item>
{{- range .Controllers}}
      <Item>
        <rasd:Address>{{.Index}}</rasd:Address>
        <rasd:Description>{{.Kind}} controller</rasd:Description>
        <rasd:ElementName>{{.Kind}} controller {{.Index}}</rasd:ElementName>
        <rasd:InstanceID>{{.ID}}</rasd:InstanceID>
{{- if .SubType}}
        <rasd:ResourceSubType>{{.SubType}}</rasd:ResourceSubType>
{{- end}}
        <rasd:ResourceType>{{.Type}}</rasd:ResourceType>
      </Item>
{{- end}}
{{- range .Disks}}
      <Item>
        <rasd:AddressOnParent>{{.Unit}}</rasd:AddressOnParent>
        <rasd:ElementName>{{x .Label}}</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk{{.Index}}</rasd:HostResource>
        <rasd:InstanceID>{{.ID}}</rasd:InstanceID>
        <rasd:Parent>{{.Parent}}</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
{{- if .BootOrder}}
        <vmw:Config ovf:required="false" vmw:key="bootOrder" vmw:value="{{.BootOrder}}"/>
{{- end}}
      </Item>
{{- end}}
{{- range .CDROMs}}
      <Item ovf:required="false">
        <rasd:AddressOnParent>{{.Unit}}</rasd:AddressOnParent>
        <rasd:AutomaticAllocation>{{.Connected}}</rasd:AutomaticAllocation>
        <rasd:ElementName>{{x .Label}}</rasd:ElementName>
        <rasd:InstanceID>{{.ID}}</rasd:InstanceID>
        <rasd:Parent>{{.Parent}}</rasd:Parent>
        <rasd:ResourceSubType>vmware.cdrom.iso</rasd:ResourceSubType>
        <rasd:ResourceType>15</rasd:ResourceType>
      </Item>
{{- end}}
{{- range .NICs}}
      <Item>
        <rasd:Address>{{x .MAC}}</rasd:Address>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>{{x .Network}}</rasd:Connection>
        <rasd:ElementName>{{x .Label}}</rasd:ElementName>
        <rasd:InstanceID>{{.ID}}</rasd:InstanceID>
        <rasd:ResourceSubType>{{x .SubType}}</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
{{- end}}
{{- if .VM.Firmware}}
      <vmw:Config ovf:required="false" vmw:key="firmware" vmw:value="{{x .VM.Firmware}}"/>
{{- end}}
{{- if .VM.SecureBoot}}
      <vmw:Config ovf:required="false" vmw:key="bootOptions.efiSecureBootEnabled" vmw:value="true"/>
{{- end}}
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
`))
