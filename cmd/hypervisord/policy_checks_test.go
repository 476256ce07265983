package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// A backup policy meets, when it is created, the checks each of its backups will meet: a
// filter field its provider does not honour, an option it does not declare, a method and
// options no plan serves are a 400 naming the field — not a policy that backs up every VM, or
// fails at every run.
func TestPolicyCreateChecksFilterOptionsAndPlan(t *testing.T) {
	t.Parallel()
	dir := cloudlikePlugins(t)
	d := startDaemon(t, "daemon:\n  address: 127.0.0.1:0\n  log_format: json\n  plugins_dir: "+dir+
		"\nexport:\n  base_path: "+t.TempDir()+"\nproviders:\n  cloudlike:\n    vm_count: 3\n  testprovider:\n    vm_count: 2\n")
	policy := func(name, provider, filter, options string) string {
		return `{"name":"` + name + `","provider":"` + provider + `","schedule":"@daily","vm_filter":` + filter + `,"export_options":` + options + `}`
	}
	cases := []struct {
		name, body string
		status     int
		field, msg string
	}{
		{"a folder on a provider without folders", policy("p1", "cloudlike", `{"folder":"/DC1/vm"}`, `{"export_method":"vmdk"}`), 400,
			"vm_filter.folder", "vm_filter.folder: is not supported by provider cloudlike, which filters by datacenter, status, tags, name_pattern only"},
		{"shutdown_vm on a provider that does not declare it", policy("p2", "cloudlike", `{"tags":["production"]}`, `{"export_method":"vmdk","options":{"shutdown_vm":true}}`), 400,
			"export_options.options.shutdown_vm", "provider cloudlike does not support it"},
		{"remove_cdrom on the test provider", policy("p3", "testprovider", `{}`, `{"options":{"remove_cdrom":true}}`), 400,
			"export_options.options.remove_cdrom", "provider testprovider does not support it"},
		{"a compressed raw image", policy("p4", "testprovider", `{}`, `{"export_method":"raw","options":{"compress":true}}`), 400,
			"export_options.options.compress", "a raw image cannot be compressed"},
		{"an unknown method", policy("p5", "testprovider", `{}`, `{"export_method":"vhd"}`), 400,
			"export_options.export_method", `must be ova, ovf, vmdk, raw or qcow2, got "vhd"`},
		{"a broken name pattern", policy("p6", "testprovider", `{"name_pattern":"web-["}`, `{}`), 400,
			"vm_filter.name_pattern", "is not a valid glob"},
		{"a power state of another platform", policy("p7", "testprovider", `{"status":"running"}`, `{}`), 400,
			"vm_filter.status", `must be poweredOn, poweredOff or suspended, got "running"`},
		{"filters and options the provider honours", policy("p8", "cloudlike", `{"datacenter":"DC1","tags":["production"]}`, `{"export_method":"qcow2","options":{"compress":true}}`), 201, "", ""},
		{"a folder on a provider with folders", policy("p9", "testprovider", `{"folder":"/DC1/vm"}`, `{"options":{"shutdown_vm":true}}`), 201, "", ""},
	}
	for _, c := range cases {
		code, body, _ := d.do("POST", "/backup-policies/create", c.body)
		if code != c.status {
			t.Errorf("%s: %d %v, want %d", c.name, code, body, c.status)
			continue
		}
		if c.field == "" {
			continue
		}
		e, _ := body["error"].(map[string]any)
		if e["code"] != "invalid_field" || e["field"] != c.field || !strings.Contains(e["message"].(string), c.msg) {
			t.Errorf("%s: error %v, want invalid_field on %s saying %q", c.name, e, c.field, c.msg)
		}
	}
	_, list, _ := d.do("GET", "/backup-policies", "")
	if n := len(list["backup_policies"].([]any)); n != 2 {
		t.Errorf("%d policies stored, want the 2 accepted", n)
	}
}

var (
	slowstartOnce sync.Once
	slowstartDir  string
	slowstartErr  error
)

// slowstartPlugins builds testdata/slowstart, a provider whose plugin never becomes ready,
// into a plugins directory of its own.
func slowstartPlugins(t *testing.T) string {
	t.Helper()
	slowstartOnce.Do(func() {
		slowstartDir = filepath.Join(filepath.Dir(daemonBin), "plugins-slowstart.d")
		if slowstartErr = os.MkdirAll(slowstartDir, 0o755); slowstartErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(slowstartDir, "hypersdk-provider-slowstart"), "./testdata/slowstart").CombinedOutput()
		if err != nil {
			slowstartErr = &buildError{err, string(out)}
		}
	})
	if slowstartErr != nil {
		t.Fatal(slowstartErr)
	}
	return slowstartDir
}

// A request that needs to know what a provider supports, while its plugin is not ready, is a
// 503 provider_unavailable naming the provider, answered within seconds: the condition is the
// server's and passes, the request is not at fault (no 400 naming one of its fields).
func TestOptionOnAProviderNotReadyIs503(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "daemon:\n  address: 127.0.0.1:0\n  log_format: json\n  plugins_dir: "+slowstartPlugins(t)+
		"\nexport:\n  base_path: "+t.TempDir()+"\nproviders:\n  slowstart: {}\n")
	cases := []struct{ name, path, body string }{
		{"submit with shutdown_vm", "/jobs/submit", `{"vm_identifier":"vm-001","provider":"slowstart","options":{"shutdown_vm":true}}`},
		{"submit with remove_cdrom", "/jobs/submit", `{"vm_identifier":"vm-001","provider":"slowstart","options":{"remove_cdrom":true}}`},
		{"policy with a filter", "/backup-policies/create", `{"name":"p","provider":"slowstart","schedule":"@daily","vm_filter":{"folder":"/DC1/vm"}}`},
		{"policy with shutdown_vm", "/backup-policies/create", `{"name":"q","provider":"slowstart","schedule":"@daily","export_options":{"options":{"shutdown_vm":true}}}`},
	}
	t.Run("refused", func(t *testing.T) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				start := time.Now()
				code, body, _ := d.do("POST", c.path, c.body)
				took := time.Since(start)
				e, _ := body["error"].(map[string]any)
				msg, _ := e["message"].(string)
				if code != 503 || e["code"] != "provider_unavailable" || !strings.Contains(msg, "provider slowstart is not ready") {
					t.Errorf("%d %v, want 503 provider_unavailable naming slowstart", code, body)
				}
				if took > 15*time.Second {
					t.Errorf("answered after %v, want within seconds", took)
				}
			})
		}
	})
	// Asking nothing of the provider needs no answer from it.
	if code, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier":"vm-001","provider":"slowstart","export_method":"vmdk"}`); code != 202 {
		t.Errorf("submit without options = %d %v, want 202", code, body)
	}
}
