package awsprovider

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/aws/internal/motoserver"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

func configured(t testing.TB, settings map[string]any) *Provider {
	t.Helper()
	p := New()
	cfg, err := provider.NewConfig(settings)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return p
}

// Discovery against moto: filters by region and zone, power state, tags (key and key=value,
// with tag_filters added), name pattern; the VM's hardware from its type, volumes and ENIs.
func TestDiscoveryAgainstMoto(t *testing.T) {
	moto := motoserver.Start(t)
	made := moto.Run(t,
		motoserver.Instance{Name: "web-1", Tags: map[string]string{"env": "prod", "team": "a"}, VolumesGiB: []int32{1, 2}},
		motoserver.Instance{Name: "web-2", Tags: map[string]string{"env": "dev"}, Zone: "us-east-1b", Type: "m5.large"},
		motoserver.Instance{Name: "db-1", Tags: map[string]string{"env": "prod"}, Stopped: true},
	)
	web1, web2, db1 := made[0].ID, made[1].ID, made[2].ID
	settings := moto.Settings("http://127.0.0.1:1")
	settings["page_size"] = 5
	p := configured(t, settings)
	ctx := context.Background()

	for _, tc := range []struct {
		name string
		f    provider.Filter
		want []string
	}{
		{"all", provider.Filter{}, []string{web1, web2, db1}},
		{"region", provider.Filter{Datacenter: "us-east-1"}, []string{web1, web2, db1}},
		{"zone as datacenter", provider.Filter{Datacenter: "us-east-1b"}, []string{web2}},
		{"zone as folder", provider.Filter{Folder: "us-east-1a"}, []string{web1, db1}},
		{"region and another zone", provider.Filter{Datacenter: "us-east-1a", Folder: "us-east-1b"}, nil},
		{"powered on", provider.Filter{PowerState: provider.PowerOn}, []string{web1, web2}},
		{"powered off", provider.Filter{PowerState: provider.PowerOff}, []string{db1}},
		{"suspended", provider.Filter{PowerState: provider.PowerSuspended}, nil},
		{"tag key=value", provider.Filter{Tags: []string{"env=prod"}}, []string{web1, db1}},
		{"tag key", provider.Filter{Tags: []string{"team"}}, []string{web1}},
		{"two tags", provider.Filter{Tags: []string{"env=prod", "team=a"}}, []string{web1}},
		{"one key two values", provider.Filter{Tags: []string{"env=prod", "env=dev"}}, nil},
		{"name pattern", provider.Filter{NamePattern: "web-*"}, []string{web1, web2}},
		{"name pattern and state", provider.Filter{NamePattern: "*-1", PowerState: provider.PowerOn}, []string{web1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vms, err := p.ListVMs(ctx, tc.f)
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
				t.Errorf("ListVMs(%+v) = %v, want %v", tc.f, got, want)
			}
		})
	}

	t.Run("bad filters name the field", func(t *testing.T) {
		for _, f := range []provider.Filter{{Datacenter: "eu-west-9"}, {Folder: "us-east-1"}, {PowerState: "on"}, {NamePattern: "["}, {Tags: []string{"=x"}}} {
			if _, err := p.ListVMs(ctx, f); !errors.Is(err, provider.ErrInvalidArgument) {
				t.Errorf("ListVMs(%+v) = %v, want ErrInvalidArgument", f, err)
			}
		}
	})

	t.Run("tag_filters narrow every listing", func(t *testing.T) {
		s := moto.Settings("http://127.0.0.1:1")
		s["tag_filters"] = []string{"env=prod"}
		vms, err := configured(t, s).ListVMs(ctx, provider.Filter{PowerState: provider.PowerOn})
		if err != nil || len(vms) != 1 || vms[0].ID != web1 {
			t.Errorf("ListVMs with tag_filters env=prod, powered on = %v, %v; want only %s", vms, err, web1)
		}
	})

	t.Run("GetVM hardware", func(t *testing.T) {
		vm, err := p.GetVM(ctx, web1)
		if err != nil {
			t.Fatal(err)
		}
		if vm.Name != "web-1" || vm.Datacenter != "us-east-1" || vm.Folder != "us-east-1a" || vm.PowerState != provider.PowerOn {
			t.Errorf("VM = %+v", vm)
		}
		// t3.micro: 2 vCPUs, 1 GiB, Nitro (NVMe).
		if vm.CPUs != 2 || vm.MemoryMB != 1024 {
			t.Errorf("CPUs, memory = %d, %d MiB; want 2, 1024 (t3.micro)", vm.CPUs, vm.MemoryMB)
		}
		if len(vm.Disks) != 2 || vm.Disks[0].Key != made[0].Volumes[0] || vm.Disks[0].BootOrder != 1 ||
			vm.Disks[0].CapacityBytes != 1<<30 || vm.Disks[1].CapacityBytes != 2<<30 || vm.Disks[1].BootOrder != 0 || vm.Disks[0].Controller != "nvme" {
			t.Errorf("disks = %+v; want the 1 GiB root volume first, then 2 GiB, on nvme", vm.Disks)
		}
		if len(vm.NICs) != 1 || vm.NICs[0].MAC == "" || vm.NICs[0].Network == "" {
			t.Errorf("NICs = %+v; want one with a MAC and vpc/subnet", vm.NICs)
		}
		if !provider.MatchTags(vm.Tags, []string{"Name=web-1", "env=prod", "team=a"}) {
			t.Errorf("tags = %v", vm.Tags)
		}
		other, err := p.GetVM(ctx, web2)
		if err != nil || other.CPUs != 2 || other.MemoryMB != 8192 {
			t.Errorf("m5.large = %d CPUs, %d MiB, %v; want 2, 8192", other.CPUs, other.MemoryMB, err)
		}
	})

	t.Run("unknown instance is ErrNotFound", func(t *testing.T) {
		for _, id := range []string{"i-0123456789abcdef0", "vm-1"} {
			if _, err := p.GetVM(ctx, id); !errors.Is(err, provider.ErrNotFound) {
				t.Errorf("GetVM(%s) = %v, want ErrNotFound", id, err)
			}
		}
	})
}

func TestPowerStateMapping(t *testing.T) {
	t.Parallel()
	for state, want := range map[string]string{"pending": provider.PowerOn, "running": provider.PowerOn,
		"stopping": provider.PowerOff, "stopped": provider.PowerOff} {
		if got := powerState(typesState(state)); got != want {
			t.Errorf("powerState(%s) = %s, want %s", state, got, want)
		}
	}
}
