package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// listingCloud is five VMs over two pages, one in each power state the instance view names.
func listingCloud() *fakeCloud {
	withTags := func(vm *armcompute.VirtualMachine, kv ...string) *armcompute.VirtualMachine {
		vm.Tags = map[string]*string{}
		for i := 0; i+1 < len(kv); i += 2 {
			vm.Tags[kv[i]] = to.Ptr(kv[i+1])
		}
		return vm
	}
	return &fakeCloud{
		pages: [][]*armcompute.VirtualMachine{
			{
				withTags(vmOf("rg-a", "web-1", "westeurope", "Standard_B2s", "running", nil), "env", "prod", "team", "web"),
				withTags(vmOf("RG-A", "db-1", "northeurope", "Standard_D4s_v5", "deallocated", nil), "env", "dev"),
			},
			{
				vmOf("rg-b", "batch-1", "westeurope", "Standard_B2s", "starting", nil),
				vmOf("rg-b", "old-1", "WestEurope", "Standard_B2s", "stopping", nil),
				vmOf("rg-c", "fresh", "eastus", "Standard_B2s", "", nil), // no power state yet
			},
		},
		sizes: []*armcompute.VirtualMachineSize{sizeOf("Standard_B2s", 2, 4096), sizeOf("Standard_D4s_v5", 4, 16384)},
	}
}

func TestFakeListVMsFilters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(*Settings)
		filter provider.Filter
		want   []string
	}{
		{"all, both pages", nil, provider.Filter{}, []string{"rg-a/web-1", "RG-A/db-1", "rg-b/batch-1", "rg-b/old-1", "rg-c/fresh"}},
		{"location as datacenter, any case", nil, provider.Filter{Datacenter: "westeurope"}, []string{"rg-a/web-1", "rg-b/batch-1", "rg-b/old-1"}},
		{"resource group as folder, any case", nil, provider.Filter{Folder: "rg-a"}, []string{"rg-a/web-1", "RG-A/db-1"}},
		{"on: running and starting", nil, provider.Filter{PowerState: provider.PowerOn}, []string{"rg-a/web-1", "rg-b/batch-1"}},
		{"off: deallocated, stopping, none yet", nil, provider.Filter{PowerState: provider.PowerOff}, []string{"RG-A/db-1", "rg-b/old-1", "rg-c/fresh"}},
		{"tag key", nil, provider.Filter{Tags: []string{"env"}}, []string{"rg-a/web-1", "RG-A/db-1"}},
		{"tag key=value, all of them", nil, provider.Filter{Tags: []string{"env=prod", "team=web"}}, []string{"rg-a/web-1"}},
		{"tag value that differs", nil, provider.Filter{Tags: []string{"env=staging"}}, nil},
		{"name pattern", nil, provider.Filter{NamePattern: "*-1"}, []string{"rg-a/web-1", "RG-A/db-1", "rg-b/batch-1", "rg-b/old-1"}},
		{"filters combined", nil, provider.Filter{Datacenter: "westeurope", PowerState: provider.PowerOff}, []string{"rg-b/old-1"}},
		{"resource_groups setting", func(s *Settings) { s.ResourceGroups = []string{"rg-b", "Rg-C"} }, provider.Filter{}, []string{"rg-b/batch-1", "rg-b/old-1", "rg-c/fresh"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// A provider each: the fake tracks a pager by its path, so two listings at once on
			// one transport would share it.
			p, _ := listingCloud().provider(t, tc.change)
			vms, err := p.ListVMs(ctx, tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, vm := range vms {
				got = append(got, vm.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("ListVMs(%+v) = %v, want %v", tc.filter, got, tc.want)
			}
		})
	}
}

// Sizes are listed once per location, not once per VM.
func TestFakeSizesListedOncePerLocation(t *testing.T) {
	t.Parallel()
	c := listingCloud()
	p, _ := c.provider(t, nil)
	vms, err := p.ListVMs(context.Background(), provider.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if vms[0].CPUs != 2 || vms[0].MemoryMB != 4096 || vms[1].CPUs != 4 || vms[1].MemoryMB != 16384 {
		t.Fatalf("sizes not mapped: %+v / %+v", vms[0], vms[1])
	}
	// westeurope, northeurope, eastus: "WestEurope" is westeurope.
	if n := c.sizeList.Load(); n != 3 {
		t.Fatalf("%d size listings for 5 VMs in 3 locations, want 3", n)
	}
}

// trustedLaunch names the GetVM case whose VM has a vTPM.
const trustedLaunch = "TrustedLaunch with secure boot and vTPM"

// GetVM's picture of a VM: size to vCPUs and memory, security type to firmware and secure
// boot, the disks in boot order with their controllers and exact sizes, the NICs.
func TestFakeGetVMMapping(t *testing.T) {
	t.Parallel()
	disk := func(rg, name string) *armcompute.ManagedDiskParameters {
		return &armcompute.ManagedDiskParameters{ID: to.Ptr(fakeID(rg, "Microsoft.Compute/disks", name))}
	}
	dataDisks := func(pr *armcompute.VirtualMachineProperties) {
		pr.StorageProfile.DataDisks = []*armcompute.DataDisk{
			{Lun: to.Ptr[int32](3), Name: to.Ptr("vm-d3"), DiskSizeGB: to.Ptr[int32](1), ManagedDisk: disk("rg", "vm-d3")},
			{Lun: to.Ptr[int32](0), Name: to.Ptr("vm-d0"), DiskSizeGB: to.Ptr[int32](2), ManagedDisk: disk("rg", "vm-d0")},
			{Lun: to.Ptr[int32](1), Name: to.Ptr("unmanaged"), DiskSizeGB: to.Ptr[int32](1)}, // a VHD in a storage account
		}
	}
	for _, tc := range []struct {
		name        string
		change      func(*armcompute.VirtualMachineProperties)
		size        string
		firmware    string
		secureBoot  bool
		controllers string // each disk's key:controller
		os          string
	}{
		{"gen1: OS disk on IDE, data on SCSI by LUN, unmanaged left out", dataDisks, "Standard_B2s", provider.FirmwareBIOS, false, "os:ide lun0:scsi lun3:scsi", "Linux"},
		{"gen2 from the instance view", func(pr *armcompute.VirtualMachineProperties) {
			pr.InstanceView.HyperVGeneration = to.Ptr(armcompute.HyperVGenerationTypeV2)
		}, "Standard_B2s", provider.FirmwareEFI, false, "os:scsi", "Linux"},
		{trustedLaunch, func(pr *armcompute.VirtualMachineProperties) {
			pr.SecurityProfile = &armcompute.SecurityProfile{SecurityType: to.Ptr(armcompute.SecurityTypesTrustedLaunch),
				UefiSettings: &armcompute.UefiSettings{SecureBootEnabled: to.Ptr(true), VTpmEnabled: to.Ptr(true)}}
			pr.StorageProfile.OSDisk.Caching = to.Ptr(armcompute.CachingTypesReadWrite)
		}, "Standard_D4s_v5", provider.FirmwareEFI, true, "os:scsi", "Linux"},
		{"ConfidentialVM", func(pr *armcompute.VirtualMachineProperties) {
			pr.SecurityProfile = &armcompute.SecurityProfile{SecurityType: to.Ptr(armcompute.SecurityTypesConfidentialVM)}
		}, "Standard_B2s", provider.FirmwareEFI, false, "os:scsi", "Linux"},
		{"NVMe disk controller", func(pr *armcompute.VirtualMachineProperties) {
			dataDisks(pr)
			pr.StorageProfile.DiskControllerType = to.Ptr(armcompute.DiskControllerTypesNVMe)
		}, "Standard_B2s", provider.FirmwareBIOS, false, "os:nvme lun0:nvme lun3:nvme", "Linux"},
		{"ephemeral OS disk left out, OS name from the guest agent", func(pr *armcompute.VirtualMachineProperties) {
			dataDisks(pr)
			pr.StorageProfile.OSDisk.DiffDiskSettings = &armcompute.DiffDiskSettings{Option: to.Ptr(armcompute.DiffDiskOptionsLocal)}
			pr.InstanceView.OSName = to.Ptr("ubuntu")
		}, "Standard_B2s", provider.FirmwareBIOS, false, "lun0:scsi lun3:scsi", "ubuntu"},
		{"size retired from the location: no vCPU figure, still described", nil, "Standard_Retired", provider.FirmwareBIOS, false, "os:ide", "Linux"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := &fakeCloud{
				pages: [][]*armcompute.VirtualMachine{{vmOf("rg", "vm", "westeurope", tc.size, "running", func(pr *armcompute.VirtualMachineProperties) {
					pr.NetworkProfile = &armcompute.NetworkProfile{NetworkInterfaces: []*armcompute.NetworkInterfaceReference{{ID: to.Ptr(fakeID("rg", "Microsoft.Network/networkInterfaces", "vm-nic"))}}}
					if tc.change != nil {
						tc.change(pr)
					}
				})}},
				disks: map[string]*armcompute.Disk{"vm-os": diskOf("rg", "vm-os", 30<<30, 0), "vm-d0": diskOf("rg", "vm-d0", 2<<30-512<<10, 512), "vm-d3": diskOf("rg", "vm-d3", 1<<30, 4096)},
				sizes: []*armcompute.VirtualMachineSize{sizeOf("Standard_B2s", 2, 4096), sizeOf("Standard_D4s_v5", 4, 16384)},
				nics: map[string]string{fakeID("rg", "Microsoft.Network/networkInterfaces", "vm-nic"): `{"properties":{"macAddress":"00-0D-3A-AA-BB-CC",
					"ipConfigurations":[{"properties":{"subnet":{"id":"` + fakeID("rg-net", "Microsoft.Network/virtualNetworks", "vnet-1/subnets/backend") + `"}}}]}}`},
			}
			p, _ := c.provider(t, nil)
			vm, detail, err := p.getVM(context.Background(), "rg/vm")
			if err != nil {
				t.Fatal(err)
			}
			var ctrls []string
			for _, d := range vm.Disks {
				ctrls = append(ctrls, d.Key+":"+d.Controller)
			}
			wantCPU, wantMem := int32(2), int64(4096)
			switch tc.size {
			case "Standard_D4s_v5":
				wantCPU, wantMem = 4, 16384
			case "Standard_Retired":
				wantCPU, wantMem = 0, 0
			}
			if vm.Firmware != tc.firmware || vm.SecureBoot != tc.secureBoot || strings.Join(ctrls, " ") != tc.controllers ||
				vm.GuestOS != tc.os || vm.CPUs != wantCPU || vm.MemoryMB != wantMem || vm.PowerState != provider.PowerOn {
				t.Fatalf("GetVM = firmware %s secure boot %v disks %v os %q %d vCPUs %d MiB %s; want %s %v %q %q %d %d poweredOn",
					vm.Firmware, vm.SecureBoot, ctrls, vm.GuestOS, vm.CPUs, vm.MemoryMB, vm.PowerState, tc.firmware, tc.secureBoot, tc.controllers, tc.os, wantCPU, wantMem)
			}
			// Exact sizes from the disks themselves, and the sector size the grant's format follows.
			want := map[string]struct {
				size   int64
				sector int32
			}{"vm-os": {30 << 30, 512}, "vm-d0": {2<<30 - 512<<10, 512}, "vm-d3": {1 << 30, 4096}}
			for i, d := range vm.Disks {
				w := want[detail.disks[i].name]
				if d.CapacityBytes != w.size || detail.disks[i].sectorSize != w.sector || d.SectorSize != w.sector {
					t.Errorf("disk %s: %d bytes, %d-byte sectors (%d in the VM); want %d, %d", d.Key, d.CapacityBytes, detail.disks[i].sectorSize, d.SectorSize, w.size, w.sector)
				}
			}
			// vTPM and host caching, as the trusted-launch VM has them.
			if trusted := tc.name == trustedLaunch; vm.TPM != trusted || (trusted && vm.Disks[0].Caching != "ReadWrite") {
				t.Errorf("TPM %v, OS disk caching %q; want TPM %v (and ReadWrite caching on the trusted-launch VM)", vm.TPM, vm.Disks[0].Caching, trusted)
			}
			if len(vm.NICs) != 1 || vm.NICs[0].Label != "vm-nic" || vm.NICs[0].MAC != "00:0d:3a:aa:bb:cc" || vm.NICs[0].Network != "vnet-1/backend" {
				t.Errorf("NICs = %+v, want vm-nic 00:0d:3a:aa:bb:cc on vnet-1/backend", vm.NICs)
			}
		})
	}
}

// Resource Manager's failures map to the contract's sentinels, naming what was being done.
func TestFakeErrors(t *testing.T) {
	t.Parallel()
	good := func() *fakeCloud {
		return &fakeCloud{
			pages: [][]*armcompute.VirtualMachine{{vmOf("rg", "vm", "westeurope", "Standard_B2s", "running", func(pr *armcompute.VirtualMachineProperties) {
				pr.NetworkProfile = &armcompute.NetworkProfile{NetworkInterfaces: []*armcompute.NetworkInterfaceReference{{ID: to.Ptr(fakeID("rg", "Microsoft.Network/networkInterfaces", "gone"))}}}
			})}},
			disks: map[string]*armcompute.Disk{"vm-os": diskOf("rg", "vm-os", 30<<30, 0)},
			sizes: []*armcompute.VirtualMachineSize{sizeOf("Standard_B2s", 2, 4096)},
		}
	}
	for _, tc := range []struct {
		name    string
		fail    map[string]int
		call    string // list or get
		want    error
		mention string
	}{
		{"VM not found", map[string]int{"get": 404}, "get", provider.ErrNotFound, "read VM rg/vm"},
		{"no role on the VM", map[string]int{"get": 403}, "get", provider.ErrAuth, "role assignments"},
		{"token refused", map[string]int{"get": 401}, "get", provider.ErrAuth, "401"},
		{"throttled", map[string]int{"get": 429}, "get", provider.ErrUnavailable, "429"},
		{"Resource Manager failing", map[string]int{"get": 503}, "get", provider.ErrUnavailable, "503"},
		{"bad request", map[string]int{"get": 400}, "get", provider.ErrInvalidArgument, "400"},
		{"disk gone", map[string]int{"disk": 404}, "get", provider.ErrNotFound, "read disk vm-os"},
		{"no role to list sizes", map[string]int{"sizes": 403}, "get", provider.ErrAuth, "list the VM sizes of westeurope"},
		{"NIC gone", nil, "get", provider.ErrNotFound, "read network interface gone"},
		{"listing refused", map[string]int{"list": 403}, "list", provider.ErrAuth, "list the subscription's virtual machines"},
		{"listing throttled", map[string]int{"list": 429}, "list", provider.ErrUnavailable, "429"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := good()
			c.fail = tc.fail
			p, _ := c.provider(t, nil)
			var err error
			if tc.call == "list" {
				_, err = p.ListVMs(context.Background(), provider.Filter{})
			} else {
				_, err = p.GetVM(context.Background(), "rg/vm")
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("error = %v; want %v naming %q", err, tc.want, tc.mention)
			}
		})
	}
	// A VM Resource Manager lists without an id is an error, not a VM with an empty one.
	c := good()
	c.pages[0][0].ID = nil
	p, _ := c.provider(t, nil)
	if _, err := p.ListVMs(context.Background(), provider.Filter{}); err == nil || !strings.Contains(err.Error(), "without an id") {
		t.Fatalf("listing a VM without an id = %v", err)
	}
}

// max_retries is the number of retries of a failing call: 0 is none (azcore reads 0 as its
// default of three). The NIC read goes through the same pipeline as every other call; the
// fake's error responses are not retried, so a plain 500 from the NIC route counts the tries.
func TestMaxRetriesCountsTheRetries(t *testing.T) {
	t.Parallel()
	for _, retries := range []int{0, 2} {
		t.Run(fmt.Sprint(retries), func(t *testing.T) {
			t.Parallel()
			nic := fakeID("rg", "Microsoft.Network/networkInterfaces", "flaky")
			c := &fakeCloud{
				pages: [][]*armcompute.VirtualMachine{{vmOf("rg", "vm", "westeurope", "Standard_B2s", "running", func(pr *armcompute.VirtualMachineProperties) {
					pr.NetworkProfile = &armcompute.NetworkProfile{NetworkInterfaces: []*armcompute.NetworkInterfaceReference{{ID: to.Ptr(nic)}}}
				})}},
				disks:     map[string]*armcompute.Disk{"vm-os": diskOf("rg", "vm-os", 30<<30, 0)},
				nicStatus: http.StatusInternalServerError,
			}
			p, tr := c.provider(t, func(s *Settings) { s.MaxRetries = retries })
			_, err := p.GetVM(context.Background(), "rg/vm")
			if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "read network interface flaky") {
				t.Fatalf("GetVM = %v, want ErrUnavailable naming the NIC", err)
			}
			if n := tr.nicGets.Load(); n != int32(retries+1) {
				t.Fatalf("max_retries %d: %d tries, want %d", retries, n, retries+1)
			}
		})
	}
}
