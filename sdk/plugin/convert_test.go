package plugin

import (
	"reflect"
	"testing"

	pb "github.com/hypersdk/hypersdk/sdk/internal/providerpb"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

var fullVM = provider.VM{
	ID: "vm-1", Name: "web", PowerState: provider.PowerOn, Datacenter: "DC1", Folder: "/DC1/vm", GuestOS: "rhel9_64Guest",
	CPUs: 4, MemoryMB: 8192, Firmware: provider.FirmwareEFI, SecureBoot: true, TPM: true,
	Disks: []provider.Disk{{Key: "2000", Label: "Hard disk 1", CapacityBytes: 10 << 30, Controller: "scsi", ControllerModel: "pvscsi", Unit: 0, BootOrder: 1, Source: "[ds] web/web.vmdk",
		SectorSize: 4096, Caching: "ReadWrite"},
		{Key: "2001", Label: "Hard disk 2", CapacityBytes: 1 << 30, Controller: "sata", Unit: 1}},
	NICs:   []provider.NIC{{Label: "nic1", MAC: "00:50:56:aa:bb:cc", Network: "VM Network", AdapterType: "vmxnet3"}},
	CDROMs: []provider.CDROM{{Label: "cd", ISO: "[ds] iso/x.iso", Connected: true}},
	Tags:   []string{"production", "web"},
}

func TestConvertersRoundTrip(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		roundTrip func() (got, want any)
	}{
		{"full VM", func() (any, any) { return vmFromProto(vmToProto(fullVM)), fullVM }},
		{"empty VM", func() (any, any) { return vmFromProto(vmToProto(provider.VM{})), provider.VM{} }},
		{"filter", func() (any, any) {
			f := provider.Filter{Datacenter: "DC1", Folder: "/f", PowerState: provider.PowerOff, Tags: []string{"a"}, NamePattern: "web-*"}
			return filterFromProto(filterToProto(f)), f
		}},
		{"export spec", func() (any, any) {
			s := provider.ExportSpec{JobID: "j", VMID: "vm-1", Method: "ova", Dir: "/x", ChunkSize: 1 << 20, MaxRetries: 3, ConvertTo: "qcow2", ConvertOnly: true,
				Options: provider.ExportOptions{ShutdownVM: true, RemoveCDROM: true, Compress: true}, ResumeToken: []byte("tok")}
			return specFromProto(specToProto(s)), s
		}},
		{"progress", func() (any, any) {
			p := provider.Progress{Phase: provider.PhaseDownloading, Disk: 1, DiskName: "d", BytesDone: 5, BytesTotal: 10, Message: "m"}
			return progressFromProto(progressToProto(p)), p
		}},
		{"result", func() (any, any) {
			r := provider.ExportResult{VM: fullVM, Artifacts: []provider.Artifact{{Path: "a.vmdk", Kind: provider.KindDisk, Format: "vmdk", Size: 9, SHA256: "ab", Disk: 1}},
				NotExported: []provider.NotExportedDisk{{Disk: provider.Disk{Key: "vol-1", Label: "data", CapacityBytes: 1 << 30, Unit: 1, Source: "ocid1.volume"}, Reason: "not in a custom image"}}}
			return resultFromProto(resultToProto(r)), r
		}},
		{"info", func() (any, any) {
			i := provider.Info{Name: "n", Version: "1", Description: "d", Capabilities: []provider.Capability{provider.CapPower}}
			return infoFromProto(infoToProto(i)), i
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, want := c.roundTrip()
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestConvertersAcceptNil(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		got  any
		want any
	}{
		{"vm", vmFromProto(nil), provider.VM{}},
		{"filter", filterFromProto(nil), provider.Filter{}},
		{"spec", specFromProto(nil), provider.ExportSpec{}},
		{"progress", progressFromProto(nil), provider.Progress{}},
		{"result", resultFromProto(nil), provider.ExportResult{}},
		{"info", infoFromProto(nil), provider.Info{}},
		{"vm with nil members", vmFromProto(&pb.VM{Id: "x", Disks: []*pb.Disk{nil}, Nics: []*pb.NIC{nil}, Cdroms: []*pb.CDROM{nil}}), provider.VM{ID: "x"}},
		{"result with nil artifact", resultFromProto(&pb.ExportResult{Artifacts: []*pb.Artifact{nil}}), provider.ExportResult{}},
		{"result with a not-exported disk of no disk", resultFromProto(&pb.ExportResult{NotExported: []*pb.NotExportedDisk{nil, {Reason: "r"}}}), provider.ExportResult{}},
	}
	for _, c := range cases {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.name, c.got, c.want)
		}
	}
}
