package domainxml

import (
	"errors"
	"flag"
	"os"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func TestDomainXMLGolden(t *testing.T) {
	t.Parallel()
	disk := func(order int32) provider.Disk {
		return provider.Disk{Label: "d", CapacityBytes: 1 << 30, BootOrder: order}
	}
	nic := func(mac, net string) provider.NIC {
		return provider.NIC{MAC: mac, Network: net, AdapterType: "vmxnet3"}
	}
	cases := []struct {
		name string
		vm   provider.VM
		opts Options
	}{
		{"bios", provider.VM{ID: "vm-1", Name: "web", CPUs: 2, MemoryMB: 2048, Firmware: provider.FirmwareBIOS, GuestOS: "debian12_64Guest",
			Disks: []provider.Disk{disk(1)}, NICs: []provider.NIC{nic("00:50:56:00:00:01", "VM Network")}},
			Options{Network: "default", Disks: []Disk{{Path: "/kvm/web/web-disk0.qcow2", Format: "qcow2"}}}},
		{"efi_secure_boot", provider.VM{ID: "vm-2", Name: "win", CPUs: 4, MemoryMB: 8192, Firmware: provider.FirmwareEFI, SecureBoot: true,
			Disks: []provider.Disk{disk(1)}},
			Options{DomainType: "qemu", Disks: []Disk{{Path: "/kvm/win/win-disk0.raw", Format: "raw"}}, NVRAMPath: "/kvm/win/win_VARS.fd", Firmware: DebianOVMF}},
		{"efi", provider.VM{Name: "efi", CPUs: 1, MemoryMB: 512, Firmware: provider.FirmwareEFI, Disks: []provider.Disk{disk(0)}},
			Options{Disks: []Disk{{Path: "/kvm/efi.qcow2", Format: "qcow2"}}, NVRAMPath: "/kvm/efi_VARS.fd", Firmware: DebianOVMF}},
		{"multi_disk_boot_order", provider.VM{Name: "db", CPUs: 8, MemoryMB: 16384, Firmware: provider.FirmwareBIOS,
			Disks: []provider.Disk{disk(0), disk(2), disk(1)}},
			Options{MemoryMB: 4096, VCPUs: 2, Disks: []Disk{{"/kvm/db-0.qcow2", "qcow2"}, {"/kvm/db-1.qcow2", "qcow2"}, {"/kvm/db-2.qcow2", "qcow2"}}}},
		{"efi_tpm_4k_sectors", provider.VM{Name: "trusted", CPUs: 2, MemoryMB: 4096, Firmware: provider.FirmwareEFI, SecureBoot: true, TPM: true,
			Disks: []provider.Disk{{Label: "os", CapacityBytes: 1 << 30, BootOrder: 1, SectorSize: 4096}, {Label: "data", CapacityBytes: 1 << 30, SectorSize: 512}}},
			Options{DomainType: "qemu", Disks: []Disk{{"/kvm/trusted-0.qcow2", "qcow2"}, {"/kvm/trusted-1.qcow2", "qcow2"}}, NVRAMPath: "/kvm/trusted_VARS.fd", Firmware: DebianOVMF}},
		{"multi_nic", provider.VM{Name: "router", CPUs: 2, MemoryMB: 1024, Disks: []provider.Disk{disk(1)},
			NICs: []provider.NIC{nic("00:50:56:00:00:0a", "LAN"), nic("00:50:56:00:00:0b", "WAN"), nic("", "DMZ")}},
			Options{Disks: []Disk{{"/kvm/router.qcow2", "qcow2"}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Build(c.vm, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			golden := "testdata/" + c.name + ".xml"
			if *update {
				os.WriteFile(golden, []byte(got+"\n"), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if got+"\n" != string(want) {
				t.Errorf("domain XML differs from %s:\n%s", golden, got)
			}
		})
	}
}

func TestBuildRefusesWhatCannotBoot(t *testing.T) {
	t.Parallel()
	efiVM := provider.VM{Name: "x", Firmware: provider.FirmwareEFI, Disks: []provider.Disk{{}}}
	cases := map[string]func() error{
		"disk count": func() error {
			_, err := Build(provider.VM{Name: "x", Disks: []provider.Disk{{}}}, Options{})
			return err
		},
		"no name":      func() error { _, err := Build(provider.VM{}, Options{}); return err },
		"efi no nvram": func() error { _, err := Build(efiVM, Options{Disks: []Disk{{}}, Firmware: DebianOVMF}); return err },
		"efi no ovmf":  func() error { _, err := Build(efiVM, Options{Disks: []Disk{{}}, NVRAMPath: "/x"}); return err },
		// libvirtd's memory grows with the vCPUs it parses: 2^31 of them killed it.
		"vcpus asked": func() error {
			_, err := Build(provider.VM{Name: "x", Disks: []provider.Disk{{}}}, Options{Disks: []Disk{{}}, VCPUs: 1<<31 - 1})
			return err
		},
		"vcpus the source reports": func() error {
			_, err := Build(provider.VM{Name: "x", CPUs: MaxVCPUs + 1, Disks: []provider.Disk{{}}}, Options{Disks: []Disk{{}}})
			return err
		},
		"memory overflowing KiB": func() error {
			_, err := Build(provider.VM{Name: "x", Disks: []provider.Disk{{}}}, Options{Disks: []Disk{{}}, MemoryMB: 1<<63 - 1})
			return err
		},
	}
	for name, f := range cases {
		if f() == nil {
			t.Errorf("%s: Build succeeded", name)
		}
	}
}

func TestCheckSize(t *testing.T) {
	t.Parallel()
	cases := []struct {
		memoryMB, vcpus int64
		field           string // "" when accepted
	}{
		{0, 0, ""},
		{MaxMemoryMB, MaxVCPUs, ""},
		{1024, 2, ""},
		{-1, 1, "memory_mb"},
		{MaxMemoryMB + 1, 1, "memory_mb"},
		{1024, -1, "vcpus"},
		{1024, MaxVCPUs + 1, "vcpus"},
		{1024, 1<<31 - 1, "vcpus"},
	}
	for _, c := range cases {
		err := CheckSize(c.memoryMB, c.vcpus)
		var se *SizeError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("CheckSize(%d, %d) = %v, want accepted", c.memoryMB, c.vcpus, err)
		case c.field != "" && (!errors.As(err, &se) || se.Field != c.field):
			t.Errorf("CheckSize(%d, %d) = %v, want an error naming %s", c.memoryMB, c.vcpus, err, c.field)
		}
	}
}
