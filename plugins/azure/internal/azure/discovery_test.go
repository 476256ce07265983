package azure

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/azure/internal/armstandin"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

func configured(t *testing.T, settings map[string]any) provider.Provider {
	t.Helper()
	p := plugin.ConnectInProcess(t, New())
	cfg, err := provider.NewConfig(settings)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return p
}

// The conformance suite, through the plugin boundary, against the stand-in and Azurite.
func TestConformance(t *testing.T) {
	f := newFixture(t, armstandin.Options{})
	providertest.Run(t, plugin.ConnectInProcess(t, New()), providertest.Suite{Settings: f.settings, ExportVMID: "rg-app/web-1", Method: provider.MethodRaw})
}

func TestListVMsFilters(t *testing.T) {
	f := newFixture(t, armstandin.Options{PageSize: 2})
	p := configured(t, f.settings)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		filter provider.Filter
		want   []string
	}{
		{"all, over two pages", provider.Filter{}, []string{"rg-app/web-1", "rg-app/db-1", "rg-batch/job-1"}},
		{"location as datacenter", provider.Filter{Datacenter: "WestEurope"}, []string{"rg-app/web-1", "rg-batch/job-1"}},
		{"resource group as folder", provider.Filter{Folder: "rg-app"}, []string{"rg-app/web-1", "rg-app/db-1"}},
		{"power state from the instance view", provider.Filter{PowerState: provider.PowerOff}, []string{"rg-app/db-1"}},
		{"tag key", provider.Filter{Tags: []string{"env"}}, []string{"rg-app/web-1", "rg-app/db-1"}},
		{"tag key=value", provider.Filter{Tags: []string{"env=prod", "team=web"}}, []string{"rg-app/web-1"}},
		{"name pattern", provider.Filter{NamePattern: "*-1"}, []string{"rg-app/web-1", "rg-app/db-1", "rg-batch/job-1"}},
		{"nothing", provider.Filter{NamePattern: "none*"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
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
	pages := 0
	for _, c := range f.arm.Calls() {
		if strings.HasSuffix(c, "/providers/Microsoft.Compute/virtualMachines") {
			pages++
		}
	}
	if pages < 2*8 {
		t.Errorf("%d list calls for 8 listings of 3 VMs in pages of 2; nextLink was not followed", pages)
	}
	rgOnly := configured(t, f.with("resource_groups", []string{"rg-batch"}))
	vms, err := rgOnly.ListVMs(ctx, provider.Filter{})
	if err != nil || len(vms) != 1 || vms[0].ID != "rg-batch/job-1" {
		t.Fatalf("resource_groups [rg-batch]: ListVMs = %+v, %v", vms, err)
	}
	if _, err := rgOnly.GetVM(ctx, "rg-app/web-1"); !errors.Is(err, provider.ErrNotFound) {
		t.Fatalf("GetVM outside resource_groups = %v, want ErrNotFound", err)
	}
}

func TestGetVMHardware(t *testing.T) {
	f := newFixture(t, armstandin.Options{})
	p := configured(t, f.settings)
	ctx := context.Background()
	web, err := p.GetVM(ctx, "rg-app/web-1")
	if err != nil {
		t.Fatal(err)
	}
	diskID := "/subscriptions/" + f.arm.Subscription() + "/resourceGroups/rg-app/providers/Microsoft.Compute/disks/"
	want := provider.VM{ID: "rg-app/web-1", Name: "web-1", PowerState: provider.PowerOn, Datacenter: "westeurope", Folder: "rg-app", GuestOS: "Linux",
		CPUs: 2, MemoryMB: 4096, Firmware: provider.FirmwareBIOS,
		Disks: []provider.Disk{
			{Key: "os", Label: "web-1-os", CapacityBytes: osDiskSize, Controller: "ide", BootOrder: 1, Source: diskID + "web-1-os", SectorSize: 512, Caching: "ReadWrite"},
			{Key: "lun0", Label: "web-1-data", CapacityBytes: dataDiskSize, Controller: "scsi", Unit: 0, Source: diskID + "web-1-data", SectorSize: 512, Caching: "None"},
		},
		NICs:   []provider.NIC{{Label: "web-1-nic", MAC: "00:0d:3a:12:34:56", Network: "vnet-app/default"}},
		CDROMs: []provider.CDROM{}, Tags: []string{"env=prod", "team=web"}}
	// Compared as printed: the plugin boundary does not keep empty lists apart from none.
	if fmt.Sprintf("%+v", web) != fmt.Sprintf("%+v", want) {
		t.Fatalf("GetVM(web-1) =\n%+v\nwant\n%+v", web, want)
	}
	// A full ARM id is accepted too; TrustedLaunch is a generation 2 VM with UEFI.
	db, err := p.GetVM(ctx, "/subscriptions/"+f.arm.Subscription()+"/resourceGroups/rg-app/providers/Microsoft.Compute/virtualMachines/db-1")
	if err != nil {
		t.Fatal(err)
	}
	if db.Firmware != provider.FirmwareEFI || !db.SecureBoot || !db.TPM || db.CPUs != 4 || db.MemoryMB != 16384 || db.PowerState != provider.PowerOff || db.Disks[0].Controller != "scsi" {
		t.Fatalf("GetVM(db-1) = %+v; want efi, secure boot, vTPM, 4 vCPUs, 16 GiB, off, OS disk on scsi", db)
	}
	for _, id := range []string{"rg-app/nope", "no-slash", "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/disks/d"} {
		if _, err := p.GetVM(ctx, id); !errors.Is(err, provider.ErrNotFound) {
			t.Errorf("GetVM(%q) = %v, want ErrNotFound", id, err)
		}
	}
}

// A throttled region answers 429 with Retry-After: the call is retried after it, not failed.
func TestThrottlingIsRetriedAfterRetryAfter(t *testing.T) {
	f := newFixture(t, armstandin.Options{})
	p := configured(t, f.settings)
	f.arm.Throttle(1)
	if _, err := p.ListVMs(context.Background(), provider.Filter{}); err != nil {
		t.Fatalf("ListVMs after one 429: %v", err)
	}
	impatient := configured(t, f.with("max_retries", 0))
	f.arm.Throttle(100)
	_, err := impatient.ListVMs(context.Background(), provider.Filter{})
	if !errors.Is(err, provider.ErrUnavailable) || !strings.Contains(err.Error(), "429") {
		t.Fatalf("ListVMs throttled with max_retries 0 = %v, want ErrUnavailable naming 429", err)
	}
}
