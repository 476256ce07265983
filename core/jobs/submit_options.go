package jobs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// infoWait bounds asking a provider what it supports. The plugin host answers at once from what
// the plugin said when it became ready; a plugin still starting (or restarting) gets this long,
// about what a start takes, and then the request is refused as a temporary condition.
const infoWait = 5 * time.Second

// ProviderInfo asks the provider named name what it supports, waiting at most infoWait. A
// provider that cannot answer yet — its plugin starting, restarting or failed — is the server's
// condition, not the request's: the error wraps provider.ErrUnavailable (the API's 503
// provider_unavailable) and names the provider, never a request field.
func ProviderInfo(p provider.Provider, name string) (provider.Info, error) {
	ctx, cancel := context.WithTimeout(context.Background(), infoWait)
	defer cancel()
	info, err := p.Info(ctx)
	if err != nil {
		return provider.Info{}, fmt.Errorf("provider %s is not ready to say what it supports; try again shortly (%v): %w", name, err, provider.ErrUnavailable)
	}
	return info, nil
}

// checkOptions refuses an export option the provider does not declare in its capabilities:
// a user who asks for the VM to be shut down, or its CD-ROM removed, learns at submit that this
// provider cannot, instead of finding later that the option was silently ignored.
func checkOptions(p provider.Provider, s *Spec) error {
	asked := []struct {
		field string
		on    bool
		cap   provider.Capability
	}{
		{"options.shutdown_vm", s.Options.ShutdownVM, provider.CapShutdownVM},
		{"options.remove_cdrom", s.Options.RemoveCDROM, provider.CapRemoveCDROM},
	}
	var info *provider.Info
	for _, a := range asked {
		if !a.on {
			continue
		}
		if info == nil {
			got, err := ProviderInfo(p, s.Provider)
			if err != nil {
				return fmt.Errorf("%s: %w", a.field, err)
			}
			info = &got
		}
		if !info.Has(a.cap) {
			return &FieldError{Field: a.field, Message: fmt.Sprintf("provider %s does not support it (its capabilities: %s)", s.Provider, capList(info.Capabilities))}
		}
	}
	return nil
}

func capList(caps []provider.Capability) string {
	if len(caps) == 0 {
		return "none"
	}
	names := make([]string, len(caps))
	for i, c := range caps {
		names[i] = string(c)
	}
	return strings.Join(names, ", ")
}
