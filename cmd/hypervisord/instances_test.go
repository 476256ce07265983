package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	cloudlikeOnce sync.Once
	cloudlikeDir  string // a plugins.d with testprovider and the cloud-like test plugin
	cloudlikeErr  error
)

// cloudlikePlugins builds testdata/cloudlike once, into a plugins.d beside the test provider.
func cloudlikePlugins(t *testing.T) string {
	t.Helper()
	cloudlikeOnce.Do(func() {
		cloudlikeDir = filepath.Join(filepath.Dir(daemonBin), "plugins-cloudlike.d")
		if cloudlikeErr = os.MkdirAll(cloudlikeDir, 0o755); cloudlikeErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(cloudlikeDir, "hypersdk-provider-cloudlike"), "./testdata/cloudlike").CombinedOutput()
		if err != nil {
			cloudlikeErr = &buildError{err, string(out)}
			return
		}
		cloudlikeErr = os.Symlink(filepath.Join(pluginsDir, "hypersdk-provider-testprovider"), filepath.Join(cloudlikeDir, "hypersdk-provider-testprovider"))
	})
	if cloudlikeErr != nil {
		t.Fatal(cloudlikeErr)
	}
	return cloudlikeDir
}

type buildError struct {
	err    error
	output string
}

func (e *buildError) Error() string {
	return "build testdata/cloudlike: " + e.err.Error() + "\n" + e.output
}

// Two instances of one provider type are two plugins, each with its own settings, listed by
// /capabilities with their type and addressed by name in the API.
func TestTwoInstancesOfOneProviderType(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `
providers:
  east:
    type: testprovider
    vm_count: 2
  west:
    type: testprovider
    vm_count: 5
`)
	for name, want := range map[string]float64{"east": 2, "west": 5} {
		code, body, _ := d.do("POST", "/vms/list", `{"provider":"`+name+`"}`)
		if code != 200 || body["total"] != want || body["provider"] != name {
			t.Errorf("/vms/list %s = %d %v, want %v VMs", name, code, body, want)
		}
	}
	_, caps, _ := d.do("GET", "/capabilities", "")
	got := map[string]string{}
	pids := map[any]bool{}
	for _, raw := range caps["providers"].([]any) {
		p := raw.(map[string]any)
		got[p["name"].(string)] = p["type"].(string) + " " + p["state"].(string)
		if p["type"] == "testprovider" {
			pids[p["pid"]] = true
		}
	}
	// testprovider itself is not listed as an installed plugin without a section: east runs it.
	if got["east"] != "testprovider ready" || got["west"] != "testprovider ready" || got["testprovider"] != "" || len(pids) != 2 {
		t.Errorf("/capabilities providers = %v, want east and west, each a ready testprovider of its own process", caps["providers"])
	}
	// The plugins' own log lines are named after the instance, so two of a type stay apart.
	for _, name := range []string{"east", "west"} {
		if !strings.Contains(d.logs(), `"@module":"hypervisord.provider.`+name) {
			t.Errorf("no log line of module hypervisord.provider.%s:\n%s", name, d.logs())
		}
	}
}

// A provider section its plugin's schema refuses stops the daemon as a configuration error
// does: exit code 2, every key path, no secret echoed.
func TestBadProviderSettingExitsTwoNamingTheKey(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	cfg := "daemon:\n  address: 127.0.0.1:0\n  plugins_dir: " + pluginsDir + "\ndatabase:\n  path: " + filepath.Join(dir, "db") +
		"\nproviders:\n  vc-east:\n    type: testprovider\n    vm_count: abc\n    api_token: 123456789\n  vc-west:\n    type: testprovider\n    vm_count: 1\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(daemonBin, "--config", path).CombinedOutput()
	exit, ok := err.(*exec.ExitError)
	if !ok || exit.ExitCode() != 2 {
		t.Fatalf("exit = %v, want code 2; output:\n%s", err, out)
	}
	for _, want := range []string{
		"invalid configuration " + path,
		`providers.vc-east.vm_count: must be an int, got "abc"`,
		"providers.vc-east.api_token: must be a string, got a number (not shown: the key is secret)",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(string(out), "123456789") || strings.Contains(string(out), `"listening"`) {
		t.Errorf("output echoes the secret or the daemon served anyway:\n%s", out)
	}
}

// What a provider does not declare — a filter field it cannot honour, an export option it
// cannot carry out — is a 400 naming the field, not a silently wider answer or an ignored option.
func TestUndeclaredFilterAndOptionAre400(t *testing.T) {
	t.Parallel()
	dir := cloudlikePlugins(t)
	d := startDaemon(t, "daemon:\n  address: 127.0.0.1:0\n  log_format: json\n  plugins_dir: "+dir+
		"\nexport:\n  base_path: "+t.TempDir()+"\nproviders:\n  cloudlike:\n    vm_count: 3\n  testprovider:\n    vm_count: 2\n")
	cases := []struct {
		name, path, body string
		status           int
		field, msg       string
	}{
		{"filter the provider does not honour", "/vms/list", `{"provider":"cloudlike","filter":{"datacenter":"DC1","folder":"/DC1/vm"}}`, 400,
			"filter.folder", "filter.folder is not supported by provider cloudlike, which filters by datacenter, status, tags, name_pattern only"},
		{"filters the provider honours", "/vms/list", `{"provider":"cloudlike","filter":{"datacenter":"DC1","status":"poweredOn","tags":["production"]}}`, 200, "", ""},
		{"a provider that honours every filter", "/vms/list", `{"provider":"testprovider","filter":{"folder":"/DC1/vm"}}`, 200, "", ""},
		{"an option the provider does not declare", "/jobs/submit", `{"vm_identifier":"vm-001","provider":"cloudlike","export_method":"vmdk","options":{"shutdown_vm":true}}`, 400,
			"options.shutdown_vm", "provider cloudlike does not support it"},
		{"remove_cdrom on the test provider", "/jobs/submit", `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"vmdk","options":{"remove_cdrom":true}}`, 400,
			"options.remove_cdrom", "provider testprovider does not support it"},
		{"options switched off are no request", "/jobs/submit", `{"vm_identifier":"vm-001","provider":"cloudlike","export_method":"vmdk","options":{"shutdown_vm":false,"remove_cdrom":false}}`, 202, "", ""},
	}
	for _, c := range cases {
		code, body, _ := d.do("POST", c.path, c.body)
		if code != c.status {
			t.Errorf("%s: %s = %d %v, want %d", c.name, c.path, code, body, c.status)
			continue
		}
		if c.field == "" {
			continue
		}
		e, _ := body["error"].(map[string]any)
		if e["field"] != c.field || !strings.Contains(e["message"].(string), c.msg) {
			t.Errorf("%s: error = %v, want field %s and %q", c.name, e, c.field, c.msg)
		}
	}
}
