package handoff

import (
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

var sum0 = strings.Repeat("ab", 32)

// twoDisks is a VM that boots from its second disk.
func twoDisks() provider.VM {
	return provider.VM{ID: "vm-7", Name: "db", Datacenter: "DC0", GuestOS: "rhel8_64Guest", CPUs: 4, MemoryMB: 3000,
		Firmware: provider.FirmwareEFI, SecureBoot: true,
		Disks: []provider.Disk{{Label: "Hard disk 1", CapacityBytes: 1 << 30}, {Label: "Hard disk 2", CapacityBytes: 2 << 30, BootOrder: 1}},
		NICs:  []provider.NIC{{MAC: "00:50:56:00:00:01", Network: "VM Network", AdapterType: "vmxnet3"}}}
}

func input(vm provider.VM, disks ...DiskFile) Input {
	return Input{JobID: "job-1", Provider: "vsphere", Method: "vmdk", VM: vm, Disks: disks, OutputDir: "/var/lib/kvm/images/db/job-1",
		Format: "qcow2", Compress: true, ExportedAt: time.Date(2026, 3, 1, 23, 59, 30, 0, time.UTC), Producer: "hypervisord test"}
}

func disk(i int, format string) DiskFile {
	return DiskFile{Disk: i, Path: "/exports/db/db-disk" + string(rune('0'+i)) + ".vmdk", Format: format, Size: 1000 + int64(i), SHA256: sum0}
}

func TestBuildMapsTheVMToTheLoadersFields(t *testing.T) {
	t.Parallel()
	m, err := Build(input(twoDisks(), disk(1, "vmdk-stream"), disk(0, "vmdk")))
	if err != nil {
		t.Fatal(err)
	}
	if m.Version != "1.0" || m.VM.CPU != 4 || m.VM.MemGB != 3 || m.VM.Firmware != "uefi" || !m.VM.SecureBoot || m.VM.OSHint != "linux" {
		t.Errorf("vm = %+v, version %q", m.VM, m.Version)
	}
	if len(m.Disks) != 2 || m.Disks[0].ID != "disk-0" || m.Disks[1].ID != "disk-1" {
		t.Fatalf("disks = %+v, want disk-0, disk-1 in the VM's order", m.Disks)
	}
	// disk 1 is first in the boot order: it is the one hyper2kvm fixes.
	if d := m.Disks[1]; d.BootOrderHint != 0 || d.DiskType != "boot" || d.SourceFormat != "vmdk" || d.Checksum != "sha256:"+sum0 || d.Bytes != 1001 {
		t.Errorf("boot disk = %+v", d)
	}
	if d := m.Disks[0]; d.BootOrderHint != 1 || d.DiskType != "data" || d.Label != "Hard disk 1" {
		t.Errorf("data disk = %+v", d)
	}
	if m.Pipeline.Load != (Load{SourceType: "vmdk", SourcePath: "/exports/db/db-disk1.vmdk"}) {
		t.Errorf("a disk export loads its boot disk; load = %+v", m.Pipeline.Load)
	}
	if !m.Pipeline.Inspect.Enabled || !m.Pipeline.Fix.Enabled || !m.Pipeline.Convert.Enabled || !m.Pipeline.Convert.Compress || !m.Pipeline.Validate.Enabled {
		t.Errorf("pipeline = %+v", m.Pipeline)
	}
	if m.Source.ExportTimestamp != "2026-03-01T23:59:30Z" || m.Source.Datacenter != "DC0" || m.Source.VMID != "vm-7" || m.Source.VMName != "db" {
		t.Errorf("source = %+v", m.Source)
	}
	if len(m.NICs) != 1 || m.NICs[0].ID != "nic-0" || m.NICs[0].MAC != "00:50:56:00:00:01" {
		t.Errorf("nics = %+v", m.NICs)
	}
}

func TestBuildVMSection(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		vm       provider.VM
		cpu      int
		memGB    int64
		firmware string
		osHint   string
	}{
		{"memory rounds up", provider.VM{CPUs: 1, MemoryMB: 1025, Firmware: "bios", GuestOS: "windows2019srv_64Guest"}, 1, 2, "bios", "windows"},
		{"a whole GiB stays", provider.VM{CPUs: 2, MemoryMB: 2048, Firmware: "efi", GuestOS: "Linux/UNIX"}, 2, 2, "uefi", "linux"},
		{"under a GiB is one", provider.VM{CPUs: 1, MemoryMB: 32}, 1, 1, "unknown", "unknown"},
		{"unknown hardware is left out", provider.VM{GuestOS: "otherGuest"}, 0, 0, "unknown", "unknown"},
	}
	for _, c := range cases {
		c.vm.Disks = []provider.Disk{{}}
		m, err := Build(input(c.vm, disk(0, "vmdk")))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if m.VM.CPU != c.cpu || m.VM.MemGB != c.memGB || m.VM.Firmware != c.firmware || m.VM.OSHint != c.osHint {
			t.Errorf("%s: vm = %+v", c.name, m.VM)
		}
		if m.Disks[0].DiskType != "boot" || m.Disks[0].BootOrderHint != 0 {
			t.Errorf("%s: a VM without a boot order boots from its first disk: %+v", c.name, m.Disks[0])
		}
	}
}

// What hyper2kvm's loader would refuse is refused when the manifest is written.
func TestBuildRefusesWhatTheLoaderRefuses(t *testing.T) {
	t.Parallel()
	vm := twoDisks()
	cases := []struct {
		name string
		in   Input
		want string
	}{
		{"no disk", input(vm), "no disk"},
		{"unknown format", input(vm, disk(0, "iso")), `format "iso" is none hyper2kvm reads`},
		{"relative path", input(vm, DiskFile{Disk: 0, Path: "db.vmdk", Format: "vmdk", SHA256: sum0}), "not absolute"},
		{"no checksum", input(vm, DiskFile{Disk: 0, Path: "/x/db.vmdk", Format: "vmdk"}), "not a SHA-256"},
		{"uppercase checksum", input(vm, DiskFile{Disk: 0, Path: "/x/db.vmdk", Format: "vmdk", SHA256: strings.ToUpper(sum0)}), "not a SHA-256"},
		{"disk twice", input(vm, disk(0, "vmdk"), disk(0, "vmdk")), "listed twice"},
		{"no such disk", input(vm, disk(5, "vmdk")), "the VM has 2"},
		{"output format", func() Input { in := input(vm, disk(0, "vmdk")); in.Format = "vmdk"; return in }(), "not one hyper2kvm writes"},
		{"relative output", func() Input { in := input(vm, disk(0, "vmdk")); in.OutputDir = "images"; return in }(), "must be absolute"},
		{"job id", func() Input { in := input(vm, disk(1, "vmdk")); in.JobID = "job 1"; return in }(), "not a file name"},
		{"a qcow2 boot disk is no source_type", input(vm, disk(1, "qcow2")), "pipeline.load qcow2"},
	}
	for _, c := range cases {
		if _, err := Build(c.in); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Build = %v, want %q", c.name, err, c.want)
		}
	}
}

func TestSourceFormat(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"vmdk": "vmdk", "vmdk-stream": "vmdk", "raw": "raw", "qcow2": "qcow2", "vpc": "vhd", "vhd": "vhd", "vhdx": "vhdx", "vdi": "vdi", "iso": ""} {
		if got := SourceFormat(in); got != want {
			t.Errorf("SourceFormat(%q) = %q, want %q", in, got, want)
		}
	}
}
