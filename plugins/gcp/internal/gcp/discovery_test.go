package gcp

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

func TestListVMsFilters(t *testing.T) {
	c := startCloud(t)
	p := configured(t, c, nil)
	for _, tc := range []struct {
		name   string
		filter provider.Filter
		want   []string
	}{
		{"all", provider.Filter{}, []string{"europe-west1-b/db-1", "us-central1-a/web-1", "us-central1-b/tiny-1"}},
		{"zone", provider.Filter{Datacenter: "us-central1-b"}, []string{"us-central1-b/tiny-1"}},
		{"region", provider.Filter{Datacenter: "us-central1"}, []string{"us-central1-a/web-1", "us-central1-b/tiny-1"}},
		{"off", provider.Filter{PowerState: provider.PowerOff}, []string{"europe-west1-b/db-1"}},
		{"label key", provider.Filter{Tags: []string{"env"}}, []string{"europe-west1-b/db-1", "us-central1-a/web-1"}},
		{"label key=value", provider.Filter{Tags: []string{"env=prod"}}, []string{"us-central1-a/web-1"}},
		{"name pattern", provider.Filter{NamePattern: "*-1"}, []string{"europe-west1-b/db-1", "us-central1-a/web-1", "us-central1-b/tiny-1"}},
		{"name pattern none", provider.Filter{NamePattern: "db-*", Datacenter: "us-central1"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vms, err := p.ListVMs(context.Background(), tc.filter)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, vm := range vms {
				got = append(got, vm.ID)
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("ListVMs(%+v) = %v, want %v", tc.filter, got, tc.want)
			}
		})
	}
}

// The aggregated list is read in pages (pageToken), one page of VMs per page of the API.
func TestListVMPagesFollowsPageTokens(t *testing.T) {
	c := startCloud(t)
	c.PageSize = 1
	p := configured(t, c, map[string]any{"zones": []string{zoneA}, "regions": []string{"europe-west1"}})
	var pages, n int
	err := p.ListVMPages(context.Background(), provider.Filter{}, func(vms []provider.VM) error { pages++; n += len(vms); return nil })
	// Three API pages of one instance each; tiny-1's zone is not configured, so its page is empty and not sent.
	if err != nil || pages != 2 || n != 2 {
		t.Fatalf("pages %d, VMs %d, %v; want 2 pages of the 2 VMs in the configured zones", pages, n, err)
	}
}

func TestGetVMHardware(t *testing.T) {
	c := startCloud(t)
	p := configured(t, c, nil)
	vm, err := p.GetVM(context.Background(), zoneA+"/web-1")
	if err != nil {
		t.Fatal(err)
	}
	if vm.CPUs != 4 || vm.MemoryMB != 16384 || vm.Firmware != provider.FirmwareEFI || !vm.SecureBoot || vm.PowerState != provider.PowerOn || vm.GuestOS != "debian-12-bookworm" {
		t.Errorf("web-1 = %d vCPUs, %d MB, firmware %s, secure boot %v, %s, guest %q", vm.CPUs, vm.MemoryMB, vm.Firmware, vm.SecureBoot, vm.PowerState, vm.GuestOS)
	}
	if len(vm.Disks) != 2 || vm.Disks[0].Key != "web-1" || vm.Disks[0].BootOrder != 1 || vm.Disks[1].Key != "web-1-data" || vm.Disks[0].CapacityBytes != 10<<30 || vm.Disks[0].Controller != "scsi" {
		t.Errorf("disks = %+v; want the boot disk first, the local SSD left out", vm.Disks)
	}
	if len(vm.NICs) != 1 || vm.NICs[0].Network != "default/default" || vm.NICs[0].AdapterType != "gvnic" {
		t.Errorf("nics = %+v", vm.NICs)
	}
	if !slices.Equal(vm.Tags, []string{"env=prod", "team=web"}) {
		t.Errorf("tags = %v", vm.Tags)
	}
	tiny, err := p.GetVM(context.Background(), "us-central1-b/tiny-1")
	if err != nil || tiny.CPUs != 2 || tiny.MemoryMB != 4096 {
		t.Errorf("custom-2-4096 = %d vCPUs, %d MB, %v", tiny.CPUs, tiny.MemoryMB, err)
	}
	for _, id := range []string{"us-central1-a/nope", "no-slash", "a/b/c"} {
		if _, err := p.GetVM(context.Background(), id); !errors.Is(err, provider.ErrNotFound) {
			t.Errorf("GetVM(%q) = %v, want ErrNotFound", id, err)
		}
	}
}

func TestCustomShape(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
		want shape
	}{
		{"custom-4-16384", true, shape{4, 16384}},
		{"n2-custom-8-32768-ext", true, shape{8, 32768}},
		{"n2-standard-4", false, shape{}},
		{"custom-x-1", false, shape{}},
	} {
		got, ok := customShape(tc.name)
		if ok != tc.ok || got != tc.want {
			t.Errorf("customShape(%s) = %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestPowerState(t *testing.T) {
	for status, want := range map[string]string{"RUNNING": provider.PowerOn, "STOPPING": provider.PowerOn, "TERMINATED": provider.PowerOff,
		"STAGING": provider.PowerOff, "SUSPENDED": provider.PowerSuspended} {
		if got := powerState(status); got != want {
			t.Errorf("powerState(%s) = %s, want %s", status, got, want)
		}
	}
}

// Every key of the schema is a key of Settings and the other way round, with the defaults
// defaultSettings applies; a bad setting names its key.
func TestConfigSchema(t *testing.T) {
	if err := provider.CheckSchema(configKeys); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		settings map[string]any
		key      string
	}{
		{map[string]any{"staging_bucket": "b"}, "providers.gcp.project"},
		{map[string]any{"project": "p", "staging_bucket": "gs://b/x"}, "providers.gcp.staging_bucket"},
		{map[string]any{"project": "p", "staging_bucket": "b", "download_workers": 0}, "providers.gcp.download_workers"},
		{map[string]any{"project": "p", "staging_bucket": "b", "build_timeout": "5s"}, "providers.gcp.build_timeout"},
		{map[string]any{"project": "p", "staging_bucket": "b", "zones": []string{"us-central1"}}, "providers.gcp.zones"},
		{map[string]any{"project": "p", "staging_bucket": "b", "anonymous": true, "credentials_file": "/k.json"}, "providers.gcp.anonymous"},
	} {
		cfg, _ := provider.NewConfig(tc.settings)
		err := New().Configure(context.Background(), cfg)
		if !errors.Is(err, provider.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("Configure(%v) = %v; want ErrInvalidArgument naming %s", tc.settings, err, tc.key)
		}
	}
	defaults := map[string]string{"staging_prefix": "hypersdk/", "builder_image": DefaultBuilderImage, "build_timeout": "2h", "download_workers": "8", "poll_interval": "5s", "no_external_ip": "false", "anonymous": "false"}
	for _, k := range configKeys {
		if k.Default != defaults[k.Name] {
			t.Errorf("key %s: schema default %q, defaultSettings %q", k.Name, k.Default, defaults[k.Name])
		}
	}
}
