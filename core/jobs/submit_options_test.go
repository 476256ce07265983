package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// declaring is the fake provider with the capabilities a test gives it.
type declaring struct {
	*fake.Provider
	caps []provider.Capability
}

func (d declaring) Info(ctx context.Context) (provider.Info, error) {
	info, err := d.Provider.Info(ctx)
	info.Capabilities = d.caps
	return info, err
}

func TestSubmitRefusesOptionsTheProviderDoesNotDeclare(t *testing.T) {
	t.Parallel()
	both := declaring{fake.New(), []provider.Capability{provider.CapShutdownVM, provider.CapRemoveCDROM}}
	none := declaring{fake.New(), nil}
	cases := []struct {
		name    string
		p       provider.Provider
		options Options
		field   string // "" = accepted
		msg     string
	}{
		{"no option asked", none, Options{Compress: true}, "", ""},
		{"the test provider shuts VMs down", fake.New(), Options{ShutdownVM: true}, "", ""},
		{"the test provider cannot remove a CD-ROM", fake.New(), Options{RemoveCDROM: true}, "options.remove_cdrom", "provider p does not support it (its capabilities: export.raw"},
		{"both declared", both, Options{ShutdownVM: true, RemoveCDROM: true}, "", ""},
		{"none declared names the first", none, Options{ShutdownVM: true, RemoveCDROM: true}, "options.shutdown_vm", "(its capabilities: none)"},
	}
	for _, c := range cases {
		err := checkOptions(c.p, &Spec{Provider: "p", Options: c.options})
		var fe *FieldError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: checkOptions = %v, want nil", c.name, err)
		case c.field != "" && (!errors.As(err, &fe) || fe.Field != c.field || !strings.Contains(fe.Message, c.msg)):
			t.Errorf("%s: checkOptions = %v, want a FieldError on %s with %q", c.name, err, c.field, c.msg)
		}
	}
}

// unready is a provider whose plugin has not come up: Info fails at once as the plugin host's
// does for a failed plugin, or waits, as for one still starting, until the caller gives up.
type unready struct {
	*fake.Provider
	now error // nil: wait for the caller's deadline
}

func (u unready) Info(ctx context.Context) (provider.Info, error) {
	if u.now != nil {
		return provider.Info{}, u.now
	}
	<-ctx.Done()
	return provider.Info{}, fmt.Errorf("provider p is starting (last error: ): %w", ctx.Err())
}

// A provider that cannot say yet what it supports is the server's condition: the submit fails
// soon with ErrUnavailable naming the provider (the API's 503), never a FieldError (a 400).
func TestSubmitOptionsOnAProviderNotReady(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		p    provider.Provider
	}{
		{"failed plugin", unready{fake.New(), fmt.Errorf("provider p is failed: no binary: %w", provider.ErrUnavailable)}},
		{"plugin gone", unready{fake.New(), fmt.Errorf("provider p: info: %w", provider.ErrPluginExited)}},
		{"plugin still starting", unready{Provider: fake.New()}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			err := checkOptions(c.p, &Spec{Provider: "p", Options: Options{RemoveCDROM: true}})
			var fe *FieldError
			if errors.As(err, &fe) || !errors.Is(err, provider.ErrUnavailable) {
				t.Fatalf("checkOptions = %#v, want ErrUnavailable and no field error", err)
			}
			if !strings.Contains(err.Error(), "provider p is not ready") {
				t.Errorf("checkOptions = %v, want it to name the provider", err)
			}
			if took := time.Since(start); took > 2*infoWait {
				t.Errorf("checkOptions took %v, want at most about %v", took, infoWait)
			}
		})
	}
}
