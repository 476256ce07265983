package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/config"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Plugins built once for every test: the SDK's test provider and a protocol-v1-only binary.
var testproviderBin, v1Bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pluginhost-test-")
	if err != nil {
		panic(err)
	}
	testproviderBin = filepath.Join(dir, "testprovider")
	v1Bin = filepath.Join(dir, "v1plugin")
	for out, pkg := range map[string]string{testproviderBin: "../../sdk/examples/testprovider", v1Bin: "./testdata/v1plugin"} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		if msg, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, msg)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// installPlugins makes a plugins.d holding each named binary under the naming convention.
func installPlugins(t *testing.T, plugins map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, bin := range plugins {
		if err := os.Symlink(bin, filepath.Join(dir, BinaryPrefix+name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func startHost(t *testing.T, dir string, providers map[string]config.Provider) *Host {
	t.Helper()
	log := hclog.New(&hclog.LoggerOptions{Output: testLog{t}, Level: hclog.Info})
	h, err := Start(context.Background(), log, dir, providers)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	h.WaitReady(ctx)
	return h
}

type testLog struct{ t *testing.T }

func (l testLog) Write(b []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

func faulty() map[string]config.Provider {
	return map[string]config.Provider{"testprovider": {Settings: map[string]any{"faults": true, "vm_count": 2}}}
}

func status(h *Host, name string) Status {
	for _, s := range h.Statuses() {
		if s.Name == name {
			return s
		}
	}
	return Status{}
}

// waitRestarted polls until the plugin is ready again after at least one restart.
func waitRestarted(t *testing.T, h *Host, name string) Status {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if s := status(h, name); s.State == StateReady && s.Restarts > 0 {
			return s
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s was not restarted: %+v", name, status(h, name))
	return Status{}
}

func TestListThroughTheHost(t *testing.T) {
	t.Parallel()
	h := startHost(t, installPlugins(t, map[string]string{"testprovider": testproviderBin}), faulty())
	st := status(h, "testprovider")
	if st.State != StateReady || st.PID == 0 || st.Version != "1.0.0" {
		t.Fatalf("status = %+v", st)
	}
	p, err := h.Provider("testprovider")
	if err != nil {
		t.Fatal(err)
	}
	vms, err := p.ListVMs(context.Background(), provider.Filter{Tags: []string{"production"}})
	if err != nil || len(vms) != 2 {
		t.Fatalf("ListVMs = %d, %v", len(vms), err)
	}
}

// A plugin that panics, exits or is killed takes only its own call down; it comes back.
func TestCrashedPluginFailsTheCallAndRestarts(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		crash func(t *testing.T, h *Host, p provider.Provider) error
	}{
		{"panic", func(t *testing.T, h *Host, p provider.Provider) error {
			_, err := p.GetVM(context.Background(), "vm-panic")
			return err
		}},
		{"exit mid-export", func(t *testing.T, h *Host, p provider.Provider) error {
			_, err := p.ExportVM(context.Background(), provider.ExportSpec{VMID: "vm-exit", Method: "vmdk", Dir: t.TempDir()}, nopReporter{})
			return err
		}},
		{"kill -9", func(t *testing.T, h *Host, p provider.Provider) error {
			pid := status(h, "testprovider").PID
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
			_, err := p.ListVMs(context.Background(), provider.Filter{})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := startHost(t, installPlugins(t, map[string]string{"testprovider": testproviderBin}), faulty())
			p, _ := h.Provider("testprovider")
			before := status(h, "testprovider")
			err := c.crash(t, h, p)
			if c.name == "kill -9" {
				// The call may land on the restarted plugin and succeed; what matters is the restart.
				if err != nil && !errors.Is(err, provider.ErrPluginExited) && !errors.Is(err, provider.ErrUnavailable) {
					t.Fatalf("call after kill = %v", err)
				}
			} else if !errors.Is(err, provider.ErrPluginExited) || !strings.Contains(err.Error(), "testprovider") {
				t.Fatalf("call = %v, want ErrPluginExited naming the plugin", err)
			}
			after := waitRestarted(t, h, "testprovider")
			if after.PID == before.PID {
				t.Errorf("no restart recorded: before %+v after %+v", before, after)
			}
			if _, err := p.ListVMs(context.Background(), provider.Filter{}); err != nil {
				t.Errorf("provider unusable after restart: %v", err)
			}
		})
	}
}

func TestHungCallTimesOutNamingThePlugin(t *testing.T) {
	t.Parallel()
	h := startHost(t, installPlugins(t, map[string]string{"testprovider": testproviderBin}), faulty())
	p, _ := h.Provider("testprovider")
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err := p.GetVM(ctx, "vm-hang")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "testprovider") {
		t.Fatalf("hung GetVM = %v, want a deadline error naming the plugin", err)
	}
	if _, err := p.ListVMs(context.Background(), provider.Filter{}); err != nil {
		t.Errorf("plugin unusable while one call hangs: %v", err)
	}
}

func TestPluginsThatMustNotRun(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		plugins   map[string]string
		providers map[string]config.Provider
		want      State
		errPart   string
	}{
		{"protocol v1 only", map[string]string{"old": v1Bin}, map[string]config.Provider{"old": {}}, StateFailed, "protocol version"},
		{"checksum mismatch", map[string]string{"testprovider": testproviderBin},
			map[string]config.Provider{"testprovider": {PluginSHA256: strings.Repeat("0", 64)}}, StateFailed, "plugin_sha256 pins"},
		{"configured, not installed", map[string]string{}, map[string]config.Provider{"vsphere": {}}, StateMissing, "no plugin binary"},
		{"installed, not configured", map[string]string{"testprovider": testproviderBin}, map[string]config.Provider{}, StateNotConfigured, "absent or disabled"},
		{"binary claims another name", map[string]string{"other": testproviderBin}, map[string]config.Provider{"other": {}}, StateFailed, `not "other"`},
		{"instance of an unknown type", map[string]string{"testprovider": testproviderBin},
			map[string]config.Provider{"testprovider": {}, "vc-east": {Type: "nosuch"}}, StateMissing, `providers.vc-east.type is "nosuch"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := startHost(t, installPlugins(t, c.plugins), c.providers)
			var st Status
			for name := range c.providers {
				if s := status(h, name); s.State == c.want {
					st = s
				}
			}
			for name := range c.plugins {
				if s := status(h, name); s.State == c.want {
					st = s
				}
			}
			if st.State != c.want || !strings.Contains(st.LastError, c.errPart) {
				t.Fatalf("status = %+v, want %s with %q", st, c.want, c.errPart)
			}
		})
	}
}

func TestUnknownProviderNamesTheLoadedOnes(t *testing.T) {
	t.Parallel()
	h := startHost(t, installPlugins(t, map[string]string{"testprovider": testproviderBin}), faulty())
	_, err := h.Provider("aws")
	if !errors.Is(err, ErrUnknownProvider) || !strings.Contains(err.Error(), "testprovider") {
		t.Fatalf("Provider(aws) = %v", err)
	}
}

type nopReporter struct{}

func (nopReporter) Progress(provider.Progress)                    {}
func (nopReporter) Checkpoint(context.Context, []byte) error      { return nil }
func (nopReporter) Hold(context.Context, provider.Hold) error     { return nil }
func (nopReporter) Released(context.Context, provider.Hold) error { return nil }
