package vsphere

import (
	"context"
	"errors"
	"testing"

	"github.com/vmware/govmomi/session"

	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

func TestDiscoveryFilters(t *testing.T) {
	sim := startSim(t, 4, 4)
	p := configured(t, sim)
	ctx := context.Background()
	cases := []struct {
		name   string
		filter provider.Filter
		want   int
	}{
		{"everything", provider.Filter{}, 4},
		{"seed filter: datacenter and status", provider.Filter{Datacenter: "DC0", PowerState: provider.PowerOn}, 4},
		{"another datacenter", provider.Filter{Datacenter: "DC9"}, 0},
		{"powered off", provider.Filter{PowerState: provider.PowerOff}, 0},
		{"tag production", provider.Filter{Tags: []string{"production"}}, 2},
		{"tag test in DC0", provider.Filter{Tags: []string{"test"}, Datacenter: "DC0"}, 2},
		{"category=tag", provider.Filter{Tags: []string{"env=production"}}, 2},
		{"category=tag in DC0", provider.Filter{Tags: []string{"env=test"}, Datacenter: "DC0"}, 2},
		{"tag of another category", provider.Filter{Tags: []string{"owner=production"}}, 0},
		{"name and category=name of one tag", provider.Filter{Tags: []string{"production", "env=production"}}, 2},
		{"two values of a single-valued category", provider.Filter{Tags: []string{"env=production", "env=test"}}, 0},
		{"name pattern", provider.Filter{NamePattern: "*_VM1"}, 1},
		{"folder", provider.Filter{Folder: "/DC0/vm"}, 4},
		{"folder elsewhere", provider.Filter{Folder: "/DC0/host"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vms, err := p.ListVMs(ctx, c.filter)
			if err != nil {
				t.Fatal(err)
			}
			if len(vms) != c.want {
				t.Fatalf("%d VMs, want %d: %+v", len(vms), c.want, vms)
			}
		})
	}
}

func TestGetVMByIDNameAndPath(t *testing.T) {
	sim := startSim(t, 2, 4)
	p := configured(t, sim)
	ctx := context.Background()
	byName, err := p.GetVM(ctx, testVM)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{byName.ID, byName.Folder + "/" + testVM} {
		vm, err := p.GetVM(ctx, id)
		if err != nil || vm.ID != byName.ID {
			t.Errorf("GetVM(%q) = %s, %v; want %s", id, vm.ID, err, byName.ID)
		}
	}
	if _, err := p.GetVM(ctx, "/DC0/vm/elsewhere/"+testVM); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("wrong inventory path = %v, want ErrNotFound", err)
	}
	vm := byName
	if vm.Datacenter != "DC0" || vm.CPUs < 1 || vm.MemoryMB < 1 || len(vm.Disks) != 1 || len(vm.NICs) == 0 || len(vm.Tags) != 1 {
		t.Fatalf("incomplete hardware picture: %+v", vm)
	}
	d := vm.Disks[0]
	if d.CapacityBytes != 4<<20 || d.Controller == "" || d.BootOrder != 1 || d.Source == "" {
		t.Errorf("disk = %+v", d)
	}
	if n := vm.NICs[0]; n.MAC == "" || n.Network == "" || n.AdapterType == "" {
		t.Errorf("nic = %+v", n)
	}
}

func TestSimulatorNamePrefix(t *testing.T) {
	needQemuImg(t)
	p := New()
	cfg, _ := provider.NewConfig(map[string]any{"simulator": true, "simulator_vms": 2, "simulator_disk_mb": 4, "simulator_name_prefix": "test-vm-"})
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	vm, err := p.GetVM(context.Background(), "test-vm-001")
	if err != nil || len(vm.Disks) != 1 {
		t.Fatalf("GetVM(test-vm-001) = %+v, %v", vm, err)
	}
	spec := provider.ExportSpec{VMID: "test-vm-002", Method: provider.MethodVMDK, Dir: t.TempDir(), ChunkSize: 1 << 20}
	res, err := p.ExportVM(context.Background(), spec, &providertest.Recorder{})
	if err != nil || res.Artifacts[0].Path != "test-vm-002-disk0.vmdk" {
		t.Fatalf("export = %+v, %v", res.Artifacts, err)
	}
}

// A session vCenter has dropped is logged in again, and the call goes through.
func TestExpiredSessionLogsInAgain(t *testing.T) {
	sim := startSim(t, 1, 4)
	settings := simSettings(sim)
	settings["connection_pool_size"] = 1
	p := New()
	cfg, _ := provider.NewConfig(settings)
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err := p.pool.do(ctx, func(c *conn) error { return session.NewManager(c.vim).Logout(ctx) })
	if err != nil {
		t.Fatal(err)
	}
	if vms, err := p.ListVMs(ctx, provider.Filter{}); err != nil || len(vms) != 1 {
		t.Fatalf("ListVMs after the session expired = %d, %v", len(vms), err)
	}
}
