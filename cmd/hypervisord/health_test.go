package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestHealthAnswersTheSeedShape(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	code, body, hdr := d.do("GET", "/health", "")
	if code != 200 || body["status"] != "healthy" || body["version"] == "" || body["uptime_seconds"] == nil {
		t.Fatalf("GET /health = %d %v", code, body)
	}
	if len(body) != 3 {
		t.Errorf("/health has unexpected keys: %v", body)
	}
	if hdr.Get("X-Request-ID") == "" {
		t.Error("no X-Request-ID header")
	}
}

func TestErrorsUseTheEnvelope(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "daemon:\n  address: 127.0.0.1:0\n  log_format: json\n  max_body_bytes: 2048\n  plugins_dir: "+pluginsDir+"\n")
	cases := []struct {
		name, method, path, body string
		status                   int
		code, field              string
	}{
		{"unknown route", "GET", "/nope", "", 404, "not_found", ""},
		{"wrong method", "DELETE", "/health", "", 405, "method_not_allowed", ""},
		{"body too large", "POST", "/vms/list", `{"provider":"` + strings.Repeat("x", 4096) + `"}`, 413, "body_too_large", ""},
		{"malformed json", "POST", "/vms/list", `{"provider":`, 400, "invalid_json", ""},
		{"empty body", "POST", "/vms/list", ``, 400, "invalid_request", ""},
		{"unknown field", "POST", "/vms/list", `{"provider":"x","colour":"red"}`, 400, "unknown_field", "colour"},
		{"wrong type", "POST", "/vms/list", `{"provider":7}`, 400, "invalid_field", "provider"},
		{"missing provider", "POST", "/vms/list", `{}`, 400, "missing_field", "provider"},
		{"bad status filter", "POST", "/vms/list", `{"provider":"x","filter":{"status":"on"}}`, 400, "invalid_field", "filter.status"},
		{"unknown provider", "POST", "/vms/list", `{"provider":"nosuch"}`, 404, "unknown_provider", "provider"},
		{"info without identifier", "GET", "/vms/info?provider=x", "", 400, "missing_field", "identifier"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body, _ := d.do(c.method, c.path, c.body)
			e, _ := body["error"].(map[string]any)
			if code != c.status || e == nil || e["code"] != c.code || e["message"] == "" {
				t.Fatalf("%s %s = %d %v, want %d code %s", c.method, c.path, code, body, c.status, c.code)
			}
			if got, _ := e["field"].(string); got != c.field {
				t.Errorf("field = %q, want %q", got, c.field)
			}
		})
	}
}

func TestCapabilitiesReportsToolsAndMethods(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	code, body, _ := d.do("GET", "/capabilities", "")
	if code != 200 {
		t.Fatalf("GET /capabilities = %d %v", code, body)
	}
	tools := map[string]map[string]any{}
	for _, raw := range body["tools"].([]any) {
		tool := raw.(map[string]any)
		tools[tool["name"].(string)] = tool
	}
	for _, name := range []string{"qemu-img", "virsh", "hyper2kvm", "systemctl"} {
		if _, ok := tools[name]; !ok {
			t.Errorf("tool %s not reported: %v", name, body["tools"])
		}
	}
	if _, err := exec.LookPath("qemu-img"); err == nil && tools["qemu-img"]["found"] != true {
		t.Errorf("qemu-img is installed but reported missing: %v", tools["qemu-img"])
	}
	if got := body["export_methods"]; len(got.([]any)) != 5 {
		t.Errorf("export_methods = %v", got)
	}
	if body["version"] == "" || body["providers"] == nil {
		t.Errorf("capabilities = %v", body)
	}
}

func TestBadConfigExitsTwoNamingEveryKey(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(path, []byte("export:\n  concurrent_exports: 0\ndaemon:\n  workerz: 4\n"), 0o600)
	out, err := exec.Command(daemonBin, "--config", path).CombinedOutput()
	exit, ok := err.(*exec.ExitError)
	if !ok || exit.ExitCode() != 2 {
		t.Fatalf("exit = %v, want code 2; output:\n%s", err, out)
	}
	for _, want := range []string{"export.concurrent_exports: must be >= 1, got 0", `daemon.workerz: unknown key (did you mean "workers"?)`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestCheckFlagValidatesTheExample(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(daemonBin, "--config", "../../config.example.yaml", "--check")
	cmd.Env = append(os.Environ(), "VSPHERE_PASSWORD=from-env")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "configuration OK") {
		t.Fatalf("--check on config.example.yaml: %v\n%s", err, out)
	}
}

func TestSecondDaemonOnTheSameDatabaseFailsFast(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := "database:\n  path: " + filepath.Join(dir, "shared.db") + "\n"
	startDaemon(t, cfg)
	path := filepath.Join(dir, "second.yaml")
	os.WriteFile(path, []byte("daemon:\n  address: 127.0.0.1:0\n"+cfg), 0o600)
	out, err := exec.Command(daemonBin, "--config", path).CombinedOutput()
	exit, ok := err.(*exec.ExitError)
	if !ok || exit.ExitCode() != 1 || !strings.Contains(string(out), "database is locked by another hypervisord") {
		t.Fatalf("second daemon: %v\n%s", err, out)
	}
}

func TestSIGTERMStopsCleanly(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "")
	if code, _, _ := d.do("GET", "/health", ""); code != 200 {
		t.Fatal("not healthy")
	}
	if err := d.stop(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, d.logs())
	}
	if !strings.Contains(d.logs(), `"stopped"`) {
		t.Errorf("no clean stop logged:\n%s", d.logs())
	}
}
