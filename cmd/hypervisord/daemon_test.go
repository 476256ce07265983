package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests drive hypervisord as a real process, built once by TestMain.
var (
	daemonBin  string
	pluginsDir string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hypervisord-test-")
	if err != nil {
		panic(err)
	}
	daemonBin = filepath.Join(dir, "hypervisord")
	pluginsDir = filepath.Join(dir, "plugins.d")
	build := func(out, pkgDir string) {
		cmd := exec.Command("go", "build", "-o", out, ".")
		cmd.Dir, cmd.Stdout, cmd.Stderr = pkgDir, os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build", pkgDir, ":", err)
			os.Exit(1)
		}
	}
	build(daemonBin, ".")
	build(filepath.Join(pluginsDir, "hypersdk-provider-testprovider"), "../../sdk/examples/testprovider")
	build(filepath.Join(pluginsDir, "hypersdk-provider-vsphere"), "../../plugins/vsphere")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// daemon is one running hypervisord.
type daemon struct {
	t          testing.TB
	configPath string
	cmd        *exec.Cmd
	url        string
	http       *http.Client // checks every answer against the daemon's OpenAPI description
	mu         sync.Mutex
	stderr     bytes.Buffer
	exited     chan error
}

// startDaemon writes cfg (YAML; address and database default to a free port and a temp file)
// and starts the daemon, returning once it listens.
func startDaemon(t testing.TB, cfg string) *daemon {
	t.Helper()
	dir := t.TempDir()
	if !strings.Contains(cfg, "address:") {
		// The tests' webhook receivers listen on loopback, which deliveries refuse by default.
		cfg = "daemon:\n  address: 127.0.0.1:0\n  log_format: json\n  plugins_dir: " + pluginsDir + "\n  webhook_allow_loopback: true\n" + cfg
	}
	if !strings.Contains(cfg, "database:") {
		cfg += "\ndatabase:\n  path: " + filepath.Join(dir, "hypersdk.db") + "\n"
	}
	// A test touches only folders it made: exports, hand-offs and conversions default to shared
	// system paths (/tmp/exports, /var/lib/hyper2kvm/watch, /var/lib/kvm/images).
	cfg = withDefaultKey(cfg, "export", "base_path", filepath.Join(dir, "exports"))
	cfg = withDefaultKey(cfg, "hyper2kvm", "watch_dir", filepath.Join(dir, "watch"))
	cfg = withDefaultKey(cfg, "hyper2kvm", "output_dir", filepath.Join(dir, "images"))
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return startDaemonWithConfig(t, path)
}

// withDefaultKey sets section.key in a test's YAML config unless the config sets it: in the
// section's block when the config has one (top-level, two-space indented), else in a new one.
func withDefaultKey(cfg, section, key, value string) string {
	lines := strings.Split(cfg, "\n")
	for i, line := range lines {
		if line != section+":" {
			continue
		}
		for _, l := range lines[i+1:] {
			if !strings.HasPrefix(l, " ") && strings.TrimSpace(l) != "" {
				break
			}
			if strings.HasPrefix(strings.TrimSpace(l), key+":") {
				return cfg
			}
		}
		lines = append(lines[:i+1], append([]string{"  " + key + ": " + value}, lines[i+1:]...)...)
		return strings.Join(lines, "\n")
	}
	return cfg + "\n" + section + ":\n  " + key + ": " + value + "\n"
}

func startDaemonWithConfig(t testing.TB, path string) *daemon {
	t.Helper()
	d := &daemon{t: t, configPath: path, exited: make(chan error, 1), http: &http.Client{Transport: checked(t, http.DefaultTransport), Timeout: 3 * time.Minute}}
	d.cmd = exec.Command(daemonBin, "--config", path)
	pipe, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			d.mu.Lock()
			d.stderr.WriteString(line + "\n")
			d.mu.Unlock()
			var entry struct {
				Message string `json:"@message"`
				Address string `json:"address"`
			}
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Message == "listening" {
				addr <- entry.Address
			}
		}
		d.exited <- d.cmd.Wait()
	}()
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			d.cmd.Process.Kill()
			<-d.exited
		}
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.logs())
		}
	})
	select {
	case a := <-addr:
		d.url = "http://" + a
	case err := <-d.exited:
		t.Fatalf("daemon exited before listening: %v\n%s", err, d.logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("daemon did not listen within 30s\n%s", d.logs())
	}
	return d
}

func (d *daemon) logs() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.stderr.String()
}

// stop sends SIGTERM and waits for a clean exit.
func (d *daemon) stop() error {
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.exited:
		return err
	case <-time.After(30 * time.Second):
		return fmt.Errorf("daemon did not stop within 30s of SIGTERM")
	}
}

// waitJob polls /jobs/query until the job reaches a terminal status.
func (d *daemon) waitJob(id string) map[string]any {
	d.t.Helper()
	return d.waitJobEvery(id, 100*time.Millisecond)
}

// waitJobEvery polls the job every interval until it ends (for at most two minutes).
func (d *daemon) waitJobEvery(id string, interval time.Duration) map[string]any {
	d.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		_, j, _ := d.do("GET", "/jobs/query?job_id="+id, "")
		switch j["status"] {
		case "completed", "failed", "cancelled":
			return j
		}
		time.Sleep(interval)
	}
	d.t.Fatalf("job %s did not finish", id)
	return nil
}

// do sends a request as a JSON client does and decodes the JSON answer into a map.
func (d *daemon) do(method, path, body string) (int, map[string]any, http.Header) {
	d.t.Helper()
	header := map[string]string{}
	if method != "GET" {
		header["Content-Type"] = "application/json"
	}
	return d.send(method, path, body, header)
}

// send is do with exactly the given headers ("Host" sets the Host header).
func (d *daemon) send(method, path, body string, header map[string]string) (int, map[string]any, http.Header) {
	d.t.Helper()
	req, err := http.NewRequest(method, d.url+path, strings.NewReader(body))
	if err != nil {
		d.t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := d.http.Do(req)
	if err != nil {
		d.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if len(raw) == 0 && resp.StatusCode == http.StatusNoContent {
		return resp.StatusCode, out, resp.Header
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		d.t.Fatalf("%s %s: status %d, body is not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out, resp.Header
}
