package plugin

import (
	pb "github.com/hypersdk/hypersdk/sdk/internal/providerpb"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Converters between the public types and the wire types. Every one accepts nil and returns the
// zero value, so a message missing a field never panics either side.

func filterToProto(f provider.Filter) *pb.Filter {
	return &pb.Filter{Datacenter: f.Datacenter, Folder: f.Folder, PowerState: f.PowerState, Tags: f.Tags, NamePattern: f.NamePattern}
}

func filterFromProto(f *pb.Filter) provider.Filter {
	if f == nil {
		return provider.Filter{}
	}
	return provider.Filter{Datacenter: f.Datacenter, Folder: f.Folder, PowerState: f.PowerState, Tags: f.Tags, NamePattern: f.NamePattern}
}

func vmToProto(v provider.VM) *pb.VM {
	out := &pb.VM{
		Id: v.ID, Name: v.Name, PowerState: v.PowerState, Datacenter: v.Datacenter, Folder: v.Folder,
		GuestOs: v.GuestOS, Cpus: v.CPUs, MemoryMb: v.MemoryMB, Firmware: v.Firmware, SecureBoot: v.SecureBoot, Tpm: v.TPM,
		Tags: v.Tags,
	}
	for _, d := range v.Disks {
		out.Disks = append(out.Disks, diskToProto(d))
	}
	for _, n := range v.NICs {
		out.Nics = append(out.Nics, &pb.NIC{Label: n.Label, Mac: n.MAC, Network: n.Network, AdapterType: n.AdapterType})
	}
	for _, c := range v.CDROMs {
		out.Cdroms = append(out.Cdroms, &pb.CDROM{Label: c.Label, Iso: c.ISO, Connected: c.Connected})
	}
	return out
}

func diskToProto(d provider.Disk) *pb.Disk {
	return &pb.Disk{Key: d.Key, Label: d.Label, CapacityBytes: d.CapacityBytes,
		Controller: d.Controller, ControllerModel: d.ControllerModel, Unit: d.Unit, BootOrder: d.BootOrder, Source: d.Source,
		SectorSize: d.SectorSize, Caching: d.Caching}
}

func diskFromProto(d *pb.Disk) provider.Disk {
	return provider.Disk{Key: d.Key, Label: d.Label, CapacityBytes: d.CapacityBytes,
		Controller: d.Controller, ControllerModel: d.ControllerModel, Unit: d.Unit, BootOrder: d.BootOrder, Source: d.Source,
		SectorSize: d.SectorSize, Caching: d.Caching}
}

func vmFromProto(v *pb.VM) provider.VM {
	if v == nil {
		return provider.VM{}
	}
	out := provider.VM{
		ID: v.Id, Name: v.Name, PowerState: v.PowerState, Datacenter: v.Datacenter, Folder: v.Folder,
		GuestOS: v.GuestOs, CPUs: v.Cpus, MemoryMB: v.MemoryMb, Firmware: v.Firmware, SecureBoot: v.SecureBoot, TPM: v.Tpm,
		Tags: v.Tags,
	}
	for _, d := range v.Disks {
		if d != nil {
			out.Disks = append(out.Disks, diskFromProto(d))
		}
	}
	for _, n := range v.Nics {
		if n == nil {
			continue
		}
		out.NICs = append(out.NICs, provider.NIC{Label: n.Label, MAC: n.Mac, Network: n.Network, AdapterType: n.AdapterType})
	}
	for _, c := range v.Cdroms {
		if c == nil {
			continue
		}
		out.CDROMs = append(out.CDROMs, provider.CDROM{Label: c.Label, ISO: c.Iso, Connected: c.Connected})
	}
	return out
}

func specToProto(s provider.ExportSpec) *pb.ExportVMRequest {
	return &pb.ExportVMRequest{
		JobId: s.JobID, VmId: s.VMID, Method: s.Method, Dir: s.Dir,
		ShutdownVm: s.Options.ShutdownVM, RemoveCdrom: s.Options.RemoveCDROM, Compress: s.Options.Compress,
		ChunkSize: s.ChunkSize, MaxRetries: int32(s.MaxRetries), ResumeToken: s.ResumeToken, ConvertTo: s.ConvertTo, ConvertOnly: s.ConvertOnly,
	}
}

func specFromProto(r *pb.ExportVMRequest) provider.ExportSpec {
	if r == nil {
		return provider.ExportSpec{}
	}
	return provider.ExportSpec{
		JobID: r.JobId, VMID: r.VmId, Method: r.Method, Dir: r.Dir,
		Options:   provider.ExportOptions{ShutdownVM: r.ShutdownVm, RemoveCDROM: r.RemoveCdrom, Compress: r.Compress},
		ChunkSize: r.ChunkSize, MaxRetries: int(r.MaxRetries), ResumeToken: r.ResumeToken, ConvertTo: r.ConvertTo, ConvertOnly: r.ConvertOnly,
	}
}

func progressToProto(p provider.Progress) *pb.Progress {
	return &pb.Progress{Phase: p.Phase, Disk: int32(p.Disk), DiskName: p.DiskName, BytesDone: p.BytesDone, BytesTotal: p.BytesTotal, Message: p.Message,
		OperationId: p.OperationID, Operation: p.Operation, Percent: p.Percent}
}

func progressFromProto(p *pb.Progress) provider.Progress {
	if p == nil {
		return provider.Progress{}
	}
	return provider.Progress{Phase: p.Phase, Disk: int(p.Disk), DiskName: p.DiskName, BytesDone: p.BytesDone, BytesTotal: p.BytesTotal, Message: p.Message,
		OperationID: p.OperationId, Operation: p.Operation, Percent: p.Percent}
}

func holdToProto(h provider.Hold) *pb.Hold {
	return &pb.Hold{Kind: h.Kind, Id: h.ID, Description: h.Description, Data: h.Data}
}

func holdFromProto(h *pb.Hold) provider.Hold {
	if h == nil {
		return provider.Hold{}
	}
	return provider.Hold{Kind: h.Kind, ID: h.Id, Description: h.Description, Data: h.Data}
}

func resultToProto(r provider.ExportResult) *pb.ExportResult {
	out := &pb.ExportResult{Vm: vmToProto(r.VM)}
	for _, a := range r.Artifacts {
		pa := &pb.Artifact{Path: a.Path, Kind: a.Kind, Format: a.Format, Size: a.Size, Sha256: a.SHA256, Disk: int32(a.Disk), ExtentsKnown: a.ExtentsKnown}
		for _, e := range a.Extents {
			pa.Extents = append(pa.Extents, &pb.Extent{Offset: e.Offset, Length: e.Length, Sha256: e.SHA256})
		}
		out.Artifacts = append(out.Artifacts, pa)
	}
	for _, n := range r.NotExported {
		out.NotExported = append(out.NotExported, &pb.NotExportedDisk{Disk: diskToProto(n.Disk), Reason: n.Reason})
	}
	return out
}

func resultFromProto(r *pb.ExportResult) provider.ExportResult {
	if r == nil {
		return provider.ExportResult{}
	}
	out := provider.ExportResult{VM: vmFromProto(r.Vm)}
	for _, a := range r.Artifacts {
		if a == nil {
			continue
		}
		pa := provider.Artifact{Path: a.Path, Kind: a.Kind, Format: a.Format, Size: a.Size, SHA256: a.Sha256, Disk: int(a.Disk), ExtentsKnown: a.ExtentsKnown}
		for _, e := range a.Extents {
			if e != nil {
				pa.Extents = append(pa.Extents, provider.Extent{Offset: e.Offset, Length: e.Length, SHA256: e.Sha256})
			}
		}
		out.Artifacts = append(out.Artifacts, pa)
	}
	for _, n := range r.NotExported {
		if n != nil && n.Disk != nil {
			out.NotExported = append(out.NotExported, provider.NotExportedDisk{Disk: diskFromProto(n.Disk), Reason: n.Reason})
		}
	}
	return out
}

func infoToProto(i provider.Info) *pb.InfoResponse {
	out := &pb.InfoResponse{Name: i.Name, Version: i.Version, Description: i.Description, Filters: i.Filters}
	for _, c := range i.Capabilities {
		out.Capabilities = append(out.Capabilities, string(c))
	}
	for _, k := range i.Config {
		out.Config = append(out.Config, &pb.ConfigKey{Name: k.Name, Type: k.Type, Required: k.Required, Default: k.Default, Secret: k.Secret, Description: k.Description})
	}
	return out
}

func infoFromProto(i *pb.InfoResponse) provider.Info {
	if i == nil {
		return provider.Info{}
	}
	out := provider.Info{Name: i.Name, Version: i.Version, Description: i.Description, Filters: i.Filters}
	for _, c := range i.Capabilities {
		out.Capabilities = append(out.Capabilities, provider.Capability(c))
	}
	for _, k := range i.Config {
		if k != nil {
			out.Config = append(out.Config, provider.ConfigKey{Name: k.Name, Type: k.Type, Required: k.Required, Default: k.Default, Secret: k.Secret, Description: k.Description})
		}
	}
	return out
}
