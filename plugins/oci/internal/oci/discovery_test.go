package oci

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/oci/internal/ocifake"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Listing walks the tenancy's compartment tree (one compartment per page) and each
// compartment's instances page by page, and honours every filter.
func TestListVMs(t *testing.T) {
	t.Parallel()
	c, x := startCloud(t)
	c.PageSize = 1
	p := configured(t, c, nil)
	cases := []struct {
		name string
		f    provider.Filter
		want []string
	}{
		{"all", provider.Filter{}, []string{x.web, x.db, x.worker}},
		{"availability domain", provider.Filter{Datacenter: "US-ASHBURN-AD-2"}, []string{x.db}},
		{"region", provider.Filter{Datacenter: ocifake.Region}, []string{x.web, x.db, x.worker}},
		{"compartment by name", provider.Filter{Folder: "data"}, []string{x.db}},
		{"compartment by OCID", provider.Filter{Folder: appsCompartment}, []string{x.web, x.worker}},
		{"powered on", provider.Filter{PowerState: provider.PowerOn}, []string{x.web, x.worker}},
		{"freeform tag", provider.Filter{Tags: []string{"env=prod"}}, []string{x.web}},
		{"defined tag", provider.Filter{Tags: []string{"ops.team=web"}}, []string{x.web}},
		{"name pattern", provider.Filter{NamePattern: "*-1"}, []string{x.web, x.db, x.worker}},
		{"no match", provider.Filter{NamePattern: "nope*"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vms, err := p.ListVMs(context.Background(), tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, vm := range vms {
				got = append(got, vm.ID)
			}
			slices.Sort(got)
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

// Configured compartments limit the listing to them.
func TestListVMsOfConfiguredCompartments(t *testing.T) {
	t.Parallel()
	c, x := startCloud(t)
	p := configured(t, c, map[string]any{"compartments": []any{dataCompartment}})
	vms, err := p.ListVMs(context.Background(), provider.Filter{})
	if err != nil || len(vms) != 1 || vms[0].ID != x.db {
		t.Fatalf("ListVMs = %+v, %v; want db-1 only", vms, err)
	}
}

// GetVM reads the shape's OCPUs and memory, UEFI and Secure Boot, the boot volume and the
// attached block volume, and the VNICs with MAC and subnet.
func TestGetVM(t *testing.T) {
	t.Parallel()
	c, x := startCloud(t)
	p := configured(t, c, nil)
	vm, err := p.GetVM(context.Background(), x.web)
	if err != nil {
		t.Fatal(err)
	}
	if vm.Name != "web-1" || vm.CPUs != 4 || vm.MemoryMB != 32<<10 || vm.Firmware != provider.FirmwareEFI || !vm.SecureBoot ||
		vm.PowerState != provider.PowerOn || vm.Folder != appsCompartment || vm.Datacenter != "Uocm:US-ASHBURN-AD-1" || vm.GuestOS != "Oracle Linux 9" {
		t.Errorf("vm = %+v", vm)
	}
	if len(vm.Disks) != 2 || vm.Disks[0].BootOrder != 1 || vm.Disks[0].CapacityBytes != 47<<30 || vm.Disks[1].Label != "web-1-data" || vm.Disks[1].CapacityBytes != 100<<30 {
		t.Errorf("disks = %+v", vm.Disks)
	}
	if len(vm.NICs) != 2 || vm.NICs[0].MAC != "02:00:17:aa:bb:01" || vm.NICs[1].Network != "ocid1.subnet.oc1.iad.backend" {
		t.Errorf("nics = %+v", vm.NICs)
	}
	if !slices.Equal(vm.Tags, []string{"env=prod", "ops.team=web"}) {
		t.Errorf("tags = %v", vm.Tags)
	}
	db, err := p.GetVM(context.Background(), x.db)
	if err != nil || db.PowerState != provider.PowerOff || db.Firmware != provider.FirmwareBIOS || len(db.Disks) != 1 || len(db.NICs) != 0 {
		t.Errorf("db-1 = %+v, %v", db, err)
	}
	for _, id := range []string{"ocid1.instance.oc1.iad.nosuch", "web-1", ""} {
		if _, err := p.GetVM(context.Background(), id); !errors.Is(err, provider.ErrNotFound) {
			t.Errorf("GetVM(%q) = %v, want ErrNotFound", id, err)
		}
	}
}

// Requests signed with a key the tenancy does not know are refused with 401, which the
// provider reports as an auth error; the stand-in verified the real signatures of every
// other request.
func TestWrongKeyIsAnAuthError(t *testing.T) {
	t.Parallel()
	c, _ := startCloud(t)
	wrong, _, err := ocifake.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(keyFile, []byte(wrong), 0o600); err != nil {
		t.Fatal(err)
	}
	settings := settingsWith(c, map[string]any{"private_key_file": keyFile})
	delete(settings, "private_key")
	cfg, err := provider.NewConfig(settings)
	if err != nil {
		t.Fatal(err)
	}
	err = New().Configure(context.Background(), cfg)
	if !errors.Is(err, provider.ErrAuth) || !strings.Contains(err.Error(), "401") {
		t.Fatalf("Configure with a wrong key = %v, want ErrAuth with the 401", err)
	}
	if c.Made().Unauthorized == 0 {
		t.Error("the stand-in refused no request")
	}
	if strings.Contains(err.Error(), "PRIVATE KEY") {
		t.Error("the error shows the key")
	}
	// The right key, from a file, is accepted.
	if err := os.WriteFile(keyFile, []byte(c.PrivateKey), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := New().Configure(context.Background(), cfg); err != nil {
		t.Fatalf("Configure with the tenancy's key from a file: %v", err)
	}
}

// Each bad setting is refused naming its key.
func TestSettingsErrors(t *testing.T) {
	t.Parallel()
	c, _ := startCloud(t)
	cases := []struct {
		key string
		set map[string]any
	}{
		{"tenancy", map[string]any{"tenancy": "acme"}},
		{"user", map[string]any{"user": ""}},
		{"private_key_file", map[string]any{"private_key": "", "private_key_file": "/nonexistent/key.pem"}},
		{"private_key", map[string]any{"private_key": "not a key"}},
		{"export_format", map[string]any{"export_format": "VDI"}},
		{"download_workers", map[string]any{"download_workers": 0}},
		{"auth", map[string]any{"auth": "password"}},
		{"use_par", map[string]any{"auth": AuthInstancePrincipal}},
		{"compartments", map[string]any{"compartments": []any{"apps"}}},
		{"endpoint", map[string]any{"endpoint": "iaas.example.com"}},
		{"poll_interval", map[string]any{"poll_interval": "soon"}},
	}
	for _, tc := range cases {
		t.Run(tc.key, func(t *testing.T) {
			cfg, err := provider.NewConfig(settingsWith(c, tc.set))
			if err != nil {
				t.Fatal(err)
			}
			err = New().Configure(context.Background(), cfg)
			if !errors.Is(err, provider.ErrInvalidArgument) || !strings.Contains(err.Error(), "providers.oci."+tc.key+":") {
				t.Errorf("Configure = %v, want ErrInvalidArgument naming providers.oci.%s", err, tc.key)
			}
		})
	}
}

// The schema declares every setting with the defaults the provider applies.
func TestSchemaMatchesDefaults(t *testing.T) {
	t.Parallel()
	if err := provider.CheckSchema(configKeys); err != nil {
		t.Fatal(err)
	}
	d := defaultSettings()
	want := map[string]string{"auth": d.Auth, "staging_prefix": d.StagingPrefix, "export_format": d.ExportFormat, "par_lifetime": d.PARLifetime,
		"download_workers": "8", "poll_interval": d.PollInterval, "export_timeout": d.ExportTimeout, "stall_timeout": d.StallTimeout,
		"release_wait": d.ReleaseWait, "use_par": "false", "require_all_disks": "false"}
	for _, k := range configKeys {
		if w, ok := want[k.Name]; ok && k.Default != w {
			t.Errorf("%s: schema default %q, provider default %q", k.Name, k.Default, w)
		}
		if (k.Name == "private_key" || k.Name == "private_key_passphrase") != k.Secret {
			t.Errorf("%s: secret = %v", k.Name, k.Secret)
		}
	}
}
