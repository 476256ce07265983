package pluginhost

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/config"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Two providers: sections of one type are two processes of one binary, each with its own
// settings, status and name.
func TestTwoInstancesOfOneType(t *testing.T) {
	t.Parallel()
	h := startHost(t, installPlugins(t, map[string]string{"testprovider": testproviderBin}), map[string]config.Provider{
		"east": {Type: "testprovider", Settings: map[string]any{"vm_count": 2, "cloud_state": filepath.Join(t.TempDir(), "cloud.json")}},
		"west": {Type: "testprovider", Settings: map[string]any{"vm_count": "5"}}, // a string, as ${ENV} gives it
	})
	if got := h.Names(); strings.Join(got, ",") != "east,west" {
		t.Fatalf("Names = %v, want east,west", got)
	}
	pids := map[int]bool{}
	for name, want := range map[string]int{"east": 2, "west": 5} {
		st := status(h, name)
		if st.State != StateReady || st.Type != "testprovider" || st.PID == 0 {
			t.Fatalf("%s: status = %+v", name, st)
		}
		pids[st.PID] = true
		p, err := h.Provider(name)
		if err != nil {
			t.Fatal(err)
		}
		vms, err := p.ListVMs(context.Background(), provider.Filter{})
		if err != nil || len(vms) != want {
			t.Errorf("%s: ListVMs = %d VMs, %v; want %d", name, len(vms), err, want)
		}
		info, ok := h.Info(name)
		if !ok || info.Name != "testprovider" || len(info.Config) == 0 {
			t.Errorf("%s: cached Info = %+v, %v; want the test provider's, with its schema", name, info, ok)
		}
		// The Info kept is the configured plugin's: east's cloud mode brings holds.
		if cloud := name == "east"; info.Has(provider.CapHolds) != cloud || slices.Contains(st.Capabilities, string(provider.CapHolds)) != cloud {
			t.Errorf("%s: holds in Info %v / status %v, want %v", name, info.Capabilities, st.Capabilities, cloud)
		}
	}
	if len(pids) != 2 {
		t.Errorf("the instances share a process: %v", h.Statuses())
	}
	if st := status(h, "testprovider"); st.Name != "" {
		t.Errorf("the type is listed as an unused plugin although instances run it: %+v", st)
	}
	if problems := h.SettingsProblems(context.Background()); len(problems) != 0 {
		t.Errorf("SettingsProblems = %v, want none", problems)
	}
}

// A section its plugin's schema refuses keeps the plugin from running, with every problem named
// by its key path, and the daemon learns of them through SettingsProblems.
func TestSettingsRefusedBySchema(t *testing.T) {
	t.Parallel()
	h := startHost(t, installPlugins(t, map[string]string{"testprovider": testproviderBin}), map[string]config.Provider{
		"vc-east": {Type: "testprovider", Settings: map[string]any{"vm_count": "abc", "api_token": 12345, "color": "red"}},
		"vc-west": {Type: "testprovider", Settings: map[string]any{"vm_count": 1}},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []string
	for _, p := range h.SettingsProblems(ctx) {
		got = append(got, p.String())
	}
	want := []string{
		"providers.vc-east.api_token: must be a string, got a number (not shown: the key is secret); quote it in the YAML",
		"providers.vc-east.color: unknown key (this provider's keys: api_token, boot_sector, chunk_delay, cloud_state, data_disks, die_mid_export, disk_size_bytes, fail_release, faults, list_delay, power_log, sparse_disk, vm_count)",
		`providers.vc-east.vm_count: must be an int, got "abc"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("SettingsProblems =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if st := status(h, "vc-east"); st.State != StateFailed || !strings.Contains(st.LastError, "providers.vc-east.vm_count") || strings.Contains(st.LastError, "12345") {
		t.Errorf("vc-east status = %+v, want failed naming the key, never the secret", st)
	}
	if st := status(h, "vc-west"); st.State != StateReady {
		t.Errorf("vc-west status = %+v, want ready: one bad section does not stop the others", st)
	}
}
