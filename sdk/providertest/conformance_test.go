package providertest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
	"github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// lenient keeps the settings its schema declares and drops the rest, instead of refusing them.
type lenient struct{ *fake.Provider }

func (l lenient) Configure(ctx context.Context, cfg provider.Config) error {
	info, err := l.Provider.Info(ctx)
	if err != nil {
		return err
	}
	var all map[string]any
	if err := json.Unmarshal(cfg.JSON(), &all); err != nil {
		return err
	}
	known := map[string]any{}
	for _, k := range info.Config {
		if v, ok := all[k.Name]; ok {
			known[k.Name] = v
		}
	}
	c, err := provider.NewConfig(known)
	if err != nil {
		return err
	}
	return l.Provider.Configure(ctx, c)
}

// imagesRefused refuses the raw and qcow2 methods instead of writing its own format.
type imagesRefused struct{ *fake.Provider }

func (p imagesRefused) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	if spec.Method == provider.MethodRaw || spec.Method == provider.MethodQCOW2 {
		return provider.ExportResult{}, fmt.Errorf("%w: method %s", provider.ErrUnsupported, spec.Method)
	}
	return p.Provider.ExportVM(ctx, spec, r)
}

// schemaWithout declares a schema that leaves out a key Configure takes.
type schemaWithout struct {
	*fake.Provider
	key string
}

func (p schemaWithout) Info(ctx context.Context) (provider.Info, error) {
	info, err := p.Provider.Info(ctx)
	var keys []provider.ConfigKey
	for _, k := range info.Config {
		if k.Name != p.key {
			keys = append(keys, k)
		}
	}
	info.Config = keys
	return info, err
}

// schemaTwice declares one key twice: a schema the host cannot use.
type schemaTwice struct{ *fake.Provider }

func (p schemaTwice) Info(ctx context.Context) (provider.Info, error) {
	info, err := p.Provider.Info(ctx)
	info.Config = append(info.Config, info.Config[0])
	return info, err
}

var providers = map[string]func() provider.Provider{
	"conforming":     func() provider.Provider { return fake.New() },
	"lenient":        func() provider.Provider { return lenient{fake.New()} },
	"images refused": func() provider.Provider { return imagesRefused{fake.New()} },
	"schema without": func() provider.Provider { return schemaWithout{fake.New(), "chunk_delay"} },
	"schema twice":   func() provider.Provider { return schemaTwice{fake.New()} },
}

const childEnv = "PROVIDERTEST_CHILD_PROVIDER"

// The suite fails a provider that breaks the contract where the host relies on it, and passes
// the test provider. Each provider runs the suite in a child test process, as a failing suite
// fails the test that runs it.
func TestRunFailsWhatBreaksTheContract(t *testing.T) {
	if name := os.Getenv(childEnv); name != "" {
		providertest.Run(t, plugin.ConnectInProcess(t, providers[name]()), providertest.Suite{
			Settings:   map[string]any{"vm_count": 2, "disk_size_bytes": 1 << 20, "chunk_delay": "2ms"},
			ExportVMID: "vm-001",
		})
		return
	}
	t.Parallel()
	cases := []struct {
		provider string
		want     string // "" when the suite passes
	}{
		{"conforming", ""},
		{"lenient", "Configure with the unknown key hypersdk_conformance_no_such_key = <nil>, want ErrInvalidArgument"},
		{"images refused", "ExportVM(vm-001, method raw): not supported by this provider"},
		{"schema without", "the suite's settings fail the provider's own schema: [chunk_delay: unknown key"},
		{"schema twice", "Info.Config is a schema the host cannot use"},
	}
	for _, c := range cases {
		t.Run(c.provider, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(os.Args[0], "-test.run=^TestRunFailsWhatBreaksTheContract$", "-test.v")
			cmd.Env = append(os.Environ(), childEnv+"="+c.provider)
			out, err := cmd.CombinedOutput()
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("the suite failed the %s provider: %v\n%s", c.provider, err, out)
			case c.want != "" && err == nil:
				t.Fatalf("the suite passed the %s provider\n%s", c.provider, out)
			case c.want != "" && !strings.Contains(string(out), c.want):
				t.Fatalf("the suite failed the %s provider without saying %q:\n%s", c.provider, c.want, out)
			}
		})
	}
}
