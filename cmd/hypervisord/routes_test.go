package main

import (
	"fmt"
	"testing"
)

// /jobs/ answers as /jobs does: JSON, never an HTML redirect.
func TestTrailingSlashIsTheSameRoute(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, testproviderConfig)
	for _, path := range []string{"/jobs/", "/schedules/", "/health/", "/capabilities/"} {
		code, body, header := d.do("GET", path, "") // d.do fails the test on a body that is not JSON
		if code != 200 || header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("GET %s = %d %s %v, want 200 JSON", path, code, header.Get("Content-Type"), body)
		}
	}
	if _, body, _ := d.do("GET", "/jobs/", ""); body["jobs"] == nil {
		t.Errorf("GET /jobs/ is not the job list: %v", body)
	}
}

// A provider that lists VMs without their devices (vSphere reads the hardware only for
// /vms/info) must not make /vms/list say the VM has no disks: the field is left out, while a
// provider that lists disks has them shown.
func TestVMListShowsDisksOnlyWhenTheProviderListedThem(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	d := startDaemon(t, fmt.Sprintf(`
providers:
  vsphere:
    simulator: true
    simulator_vms: 1
    simulator_disk_mb: 16
  testprovider:
    vm_count: 2
export:
  base_path: %s
`, t.TempDir()))
	_, list, _ := d.do("POST", "/vms/list", `{"provider":"vsphere"}`)
	vms, _ := list["vms"].([]any)
	if len(vms) == 0 {
		t.Fatalf("vsphere list = %v", list)
	}
	first := vms[0].(map[string]any)
	if disks, listed := first["disks"]; listed {
		t.Errorf("vsphere lists VMs without their hardware, yet /vms/list says disks = %v", disks)
	}
	_, info, _ := d.do("GET", "/vms/info?provider=vsphere&identifier="+first["id"].(string), "")
	if disks, _ := info["vm"].(map[string]any)["disks"].([]any); len(disks) == 0 {
		t.Errorf("/vms/info has no disks: %v", info)
	}
	_, fake, _ := d.do("POST", "/vms/list", `{"provider":"testprovider"}`)
	if len(fake["vms"].([]any)) == 0 {
		t.Fatalf("testprovider list = %v", fake)
	}
	for _, raw := range fake["vms"].([]any) {
		if vm := raw.(map[string]any); len(vm["disks"].([]any)) == 0 {
			t.Errorf("testprovider lists disks, /vms/list lost them: %v", vm)
		}
	}
}
