package jobs

import (
	"context"
	"errors"
	"strings"
	"testing"

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
