package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

func testEnv(name string) (string, bool) {
	env := map[string]string{"VSPHERE_PASSWORD": "s3cret-from-env", "HYPERSDK_TEST_WORKERS": "lots"}
	v, ok := env[name]
	return v, ok
}

func TestMain(m *testing.M) {
	envLookup = testEnv
	os.Exit(m.Run())
}

// Every file under testdata/bad must be rejected with exactly the messages in its .golden twin.
func TestBadConfigsReportEveryProblemWithItsPath(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/bad/*.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/bad files")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			_, err := Load(file)
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("Load(%s) = %v, want *config.Error", file, err)
			}
			golden := strings.TrimSuffix(file, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(err.Error()+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, rerr := os.ReadFile(golden)
			if rerr != nil {
				t.Fatalf("missing golden file (run go test -update): %v", rerr)
			}
			if got := err.Error() + "\n"; got != string(want) {
				t.Errorf("messages differ\n got: %s\nwant: %s", got, want)
			}
			if strings.Contains(err.Error(), "s3cret-from-env") || strings.Contains(err.Error(), "lots") {
				t.Errorf("error echoes an environment value: %s", err)
			}
		})
	}
}

func TestSeedConfigLoadsEveryKey(t *testing.T) {
	t.Parallel()
	cfg, err := Load("testdata/good/seed.yaml")
	if err != nil {
		t.Fatal(err)
	}
	vs := cfg.Providers["vsphere"]
	checks := []struct {
		name      string
		got, want any
	}{
		{"daemon.address", cfg.Daemon.Address, "0.0.0.0:8080"},
		{"daemon.log_level", cfg.Daemon.LogLevel, "info"},
		{"daemon.workers", cfg.Daemon.Workers, 4},
		{"daemon.plugins_dir default", cfg.Daemon.PluginsDir, "plugins.d"},
		{"providers.vsphere.enabled", vs.IsEnabled(), true},
		{"providers.vsphere.host", vs.Settings["host"], "vcenter.example.com"},
		{"providers.vsphere.username", vs.Settings["username"], "administrator@vsphere.local"},
		{"providers.vsphere.password expanded", vs.Settings["password"], "s3cret-from-env"},
		{"providers.vsphere.insecure", vs.Settings["insecure"], false},
		{"providers.vsphere.connection_pool_size", vs.Settings["connection_pool_size"], 5},
		{"hyper2kvm.path", cfg.Hyper2KVM.Path, "/usr/local/bin/hyper2kvm"},
		{"hyper2kvm.daemon_enabled", cfg.Hyper2KVM.DaemonEnabled, true},
		{"hyper2kvm.watch_dir", cfg.Hyper2KVM.WatchDir, "/var/lib/hyper2kvm/watch"},
		{"hyper2kvm.output_dir", cfg.Hyper2KVM.OutputDir, "/var/lib/kvm/images"},
		{"hyper2kvm.default_format", cfg.Hyper2KVM.DefaultFormat, "qcow2"},
		{"hyper2kvm.compression", cfg.Hyper2KVM.Compression, true},
		{"hyper2kvm.poll_interval", cfg.Hyper2KVM.PollInterval.Std(), 5 * time.Second},
		{"hyper2kvm.job_timeout", cfg.Hyper2KVM.JobTimeout.Std(), 2 * time.Hour},
		{"export.base_path", cfg.Export.BasePath, "/exports"},
		{"export.chunk_size", cfg.Export.ChunkSize, int64(10485760)},
		{"export.max_retries", cfg.Export.MaxRetries, 3},
		{"export.concurrent_exports", cfg.Export.ConcurrentExports, 2},
		{"database.path", cfg.Database.Path, "/var/lib/hypervisord/hypersdk.db"},
		{"database.job_retention", cfg.Database.JobRetention.Std(), 30 * 24 * time.Hour},
		{"webhooks[0].url", cfg.Webhooks[0].URL, "https://slack.example.com/webhook"},
		{"webhooks[0].events", strings.Join(cfg.Webhooks[0].Events, ","), "job.failed"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestEmptyConfigIsTheDefault(t *testing.T) {
	t.Parallel()
	cfg, err := Load("testdata/good/empty.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Daemon.Address != Default().Daemon.Address || cfg.Export.ConcurrentExports != 2 {
		t.Errorf("empty file did not yield defaults: %+v", cfg)
	}
}

// The example shipped at the repository root must always load (with its secret supplied).
func TestConfigExampleLoads(t *testing.T) {
	t.Parallel()
	if _, err := Load("../../config.example.yaml"); err != nil {
		t.Fatal(err)
	}
}

func TestExpand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, want, err string
	}{
		{in: "plain", want: "plain"},
		{in: "${VSPHERE_PASSWORD}", want: "s3cret-from-env"},
		{in: "a-${VSPHERE_PASSWORD}-b", want: "a-s3cret-from-env-b"},
		{in: "${NOPE:-fallback}", want: "fallback"},
		{in: "${NOPE:-}", want: ""},
		{in: "cost $$5", want: "cost $5"},
		{in: "$HOME stays", want: "$HOME stays"},
		{in: "${NOPE}", err: "environment variable NOPE is not set"},
		{in: "${1BAD}", err: `invalid environment variable name "1BAD"`},
		{in: "${OPEN", err: "unterminated ${"},
	}
	for _, c := range cases {
		got, err := expand(c.in, testEnv)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("expand(%q) error = %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("expand(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestRedactSettings(t *testing.T) {
	t.Parallel()
	in := map[string]any{
		"host": "vc", "password": "p", "api_token": "t", "insecure": true,
		"nested": map[string]any{"client_secret": "s", "region": "r"},
	}
	out := RedactSettings(in)
	for _, secret := range []string{"p", "t", "s"} {
		for _, v := range []any{out["password"], out["api_token"], out["nested"].(map[string]any)["client_secret"]} {
			if v == secret {
				t.Errorf("secret %q survived redaction: %v", secret, out)
			}
		}
	}
	if out["host"] != "vc" || out["nested"].(map[string]any)["region"] != "r" || in["password"] != "p" {
		t.Errorf("redaction changed the wrong values: in=%v out=%v", in, out)
	}
}

// The loader never panics and never echoes an environment value, whatever the file holds.
func FuzzParse(f *testing.F) {
	for _, file := range []string{"testdata/good/seed.yaml", "testdata/bad/wrong_types.yaml", "testdata/bad/impossible_values.yaml"} {
		raw, _ := os.ReadFile(file)
		f.Add(raw)
	}
	f.Add([]byte("daemon: {workers: ${HYPERSDK_TEST_WORKERS}}\nproviders: {x: {password: ${VSPHERE_PASSWORD}}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := Parse(data)
		if err != nil && strings.Contains(err.Error(), "s3cret-from-env") {
			t.Fatalf("error echoes a secret: %v", err)
		}
	})
}
