package hyperv

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/hostfake"
	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/psscript"
	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/standin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

func configured(t *testing.T, s *standin.Standin, extra map[string]any) *Provider {
	t.Helper()
	settings := s.Settings()
	for k, v := range extra {
		settings[k] = v
	}
	cfg, err := provider.NewConfig(settings)
	if err != nil {
		t.Fatal(err)
	}
	p := New()
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return p
}

// A VM's hardware as list_vms.ps1 reports it becomes the contract's VM.
func TestGetVMMapsHardware(t *testing.T) {
	s := standin.StartT(t, standin.Options{})
	vm, err := configured(t, s, nil).GetVM(context.Background(), strings.ToUpper(standin.VMID))
	if err != nil {
		t.Fatal(err)
	}
	want := provider.VM{ID: standin.VMID, Name: "web-01", PowerState: provider.PowerOn, Datacenter: "HV01", CPUs: 2, MemoryMB: 2048,
		Firmware: provider.FirmwareEFI, SecureBoot: true,
		Disks:  []provider.Disk{{Key: "scsi-0:0", Label: "SCSI 0:0", CapacityBytes: 16 << 20, Controller: "scsi", BootOrder: 1, Source: `C:\VMs\web-01\web-01.vhdx`}},
		NICs:   []provider.NIC{{Label: "Network Adapter", MAC: "00:15:5d:01:02:03", Network: "External (VLAN 12)", AdapterType: "hyperv-synthetic"}},
		CDROMs: []provider.CDROM{}, Tags: []string{"env=prod", "tier=web"}}
	if !reflect.DeepEqual(vm, want) {
		t.Fatalf("GetVM:\n got %+v\nwant %+v", vm, want)
	}
}

// Listing goes in pages of page_size VMs, and the filter applies to every page.
func TestListVMPagesAndFilters(t *testing.T) {
	s := standin.StartT(t, standin.Options{ExtraVMs: 12})
	p := configured(t, s, map[string]any{"page_size": 5})
	ctx := context.Background()
	var pages int
	err := p.ListVMPages(ctx, provider.Filter{}, func(vms []provider.VM) error { pages++; return nil })
	all, lerr := p.ListVMs(ctx, provider.Filter{})
	if err != nil || lerr != nil || len(all) != 15 || pages != 3 {
		t.Fatalf("%d VMs in %d pages (%v, %v); want 15 in 3", len(all), pages, err, lerr)
	}
	for _, tc := range []struct {
		name string
		f    provider.Filter
		want []string
	}{
		{"power off and tag", provider.Filter{PowerState: provider.PowerOff, Tags: []string{"env=test"}}, []string{"legacy-01"}},
		{"tag key", provider.Filter{Tags: []string{"env"}}, []string{"legacy-01", "web-01"}},
		{"name pattern", provider.Filter{NamePattern: "*-01"}, []string{"legacy-01", "sql-01", "web-01"}},
		{"host", provider.Filter{Datacenter: "hv01", NamePattern: "s*"}, []string{"sql-01"}},
		{"other host", provider.Filter{Datacenter: "HV02"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vms, err := p.ListVMs(ctx, tc.f)
			var names []string
			for _, vm := range vms {
				names = append(names, vm.Name)
			}
			if err != nil || strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("ListVMs(%+v) = %v, %v; want %v", tc.f, names, err, tc.want)
			}
		})
	}
	for _, f := range []provider.Filter{{Folder: "x"}, {PowerState: "on"}, {NamePattern: "["}} {
		if _, err := p.ListVMs(ctx, f); !errors.Is(err, provider.ErrInvalidArgument) {
			t.Errorf("ListVMs(%+v) = %v, want ErrInvalidArgument", f, err)
		}
	}
}

// A VM with a pass-through disk is refused with the reason before anything is made.
func TestExportRefusesPassThroughDisks(t *testing.T) {
	s := standin.StartT(t, standin.Options{})
	_, err := configured(t, s, nil).ExportVM(context.Background(), provider.ExportSpec{JobID: "j", VMID: "0e9d8c7b-6a59-4837-2615-fedcba987654", Method: provider.MethodRaw, Dir: t.TempDir()}, nil)
	if !errors.Is(err, provider.ErrUnsupported) || !strings.Contains(err.Error(), "pass-through disk (physical disk 3 at SCSI 0:1)") {
		t.Fatalf("export = %v, want ErrUnsupported naming the pass-through disk", err)
	}
	for _, ran := range s.Host.Ran() {
		if ran != psscript.ListVMs {
			t.Fatalf("scripts run: %v; want nothing made", s.Host.Ran())
		}
	}
}

// Configure reaches the host and the share, and says which is wrong.
func TestConfigureErrors(t *testing.T) {
	s := standin.StartT(t, standin.Options{})
	for _, tc := range []struct {
		name   string
		change map[string]any
		want   error
		saying string
	}{
		{"wrong password", map[string]any{"password": "nope"}, provider.ErrAuth, "HTTP 401"},
		{"missing share", map[string]any{"export_share": "hypersdk-export$"}, provider.ErrInvalidArgument, `share "hypersdk-export$" does not exist`},
		{"admin share", map[string]any{"export_share": "C$"}, provider.ErrInvalidArgument, "providers.hyperv.export_share \"C$\" is an administrative share"},
		{"basic over http", map[string]any{"winrm_endpoint": "http://hv01.example:5985/wsman"}, provider.ErrInvalidArgument, "password in the clear"},
		{"relative export path", map[string]any{"export_path": `Export`}, provider.ErrInvalidArgument, "providers.hyperv.export_path"},
		{"workers", map[string]any{"download_workers": 0}, provider.ErrInvalidArgument, "providers.hyperv.download_workers must be 1-64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			settings := s.Settings()
			for k, v := range tc.change {
				settings[k] = v
			}
			cfg, err := provider.NewConfig(settings)
			if err != nil {
				t.Fatal(err)
			}
			err = New().Configure(context.Background(), cfg)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.saying) {
				t.Fatalf("Configure = %v, want %v saying %q", err, tc.want, tc.saying)
			}
			if strings.Contains(err.Error(), s.SMB.Password) {
				t.Fatalf("the error shows the password: %v", err)
			}
		})
	}
}

// The schema declares every setting with the defaults defaultSettings applies.
func TestSchemaMatchesDefaults(t *testing.T) {
	if err := provider.CheckSchema(configKeys); err != nil {
		t.Fatal(err)
	}
	d := defaultSettings()
	want := map[string]string{"winrm_auth": d.WinRMAuth, "download_workers": "8", "chunk_size_mb": "8", "page_size": "100", "poll_interval": d.PollInterval, "operation_timeout": d.OperationTimeout, "insecure_skip_verify": "false"}
	for _, k := range configKeys {
		if k.Default != want[k.Name] {
			t.Errorf("key %s: schema default %q, settings default %q", k.Name, k.Default, want[k.Name])
		}
	}
	if d.DownloadWorkers != 8 || d.ChunkSizeMB != 8 || d.PageSize != 100 {
		t.Errorf("defaultSettings %+v disagrees with the schema", d)
	}
}

// A VM the cluster's listing finds on another node is refused with where it runs: the export
// scripts run on host only, and nothing is made there.
func TestExportOfAVMOnAnotherClusterNodeSaysWhere(t *testing.T) {
	s := standin.StartT(t, standin.Options{})
	const id = "bbbbbbbb-0000-0000-0000-000000000001"
	s.Host.AddVM(hostfake.VM{ID: id, Name: "app-07", State: "Running", ComputerName: "HV02", Generation: 2, CPUs: 1, MemoryMB: 512,
		Disks: []hostfake.Disk{{Path: `C:\ClusterStorage\Volume1\app-07\os.vhdx`, ControllerType: "SCSI", SizeBytes: 1 << 20}}})
	tests := []struct {
		name    string
		cluster any
		want    error
		wantMsg string
	}{
		{"in a cluster", "HVCLUSTER", provider.ErrUnsupported, "runs on node HV02 of cluster HVCLUSTER"},
		{"a single host", nil, provider.ErrNotFound, "no virtual machine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			extra := map[string]any{}
			if tt.cluster != nil {
				extra["cluster"] = tt.cluster
			}
			_, err := configured(t, s, extra).ExportVM(context.Background(), provider.ExportSpec{JobID: "j", VMID: id, Method: provider.MethodRaw, Dir: t.TempDir()}, &providertest.Recorder{})
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("export = %v; want %v saying %q", err, tt.want, tt.wantMsg)
			}
		})
	}
}
