package jobs

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// infoWait bounds asking a provider what it supports; the plugin host answers from what the
// plugin said when it became ready, so this is only reached for a plugin not yet started.
const infoWait = 30 * time.Second

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
			ctx, cancel := context.WithTimeout(context.Background(), infoWait)
			got, err := p.Info(ctx)
			cancel()
			if err != nil {
				return &FieldError{Field: a.field, Message: fmt.Sprintf("cannot tell whether provider %s supports it: %v", s.Provider, err), Err: err}
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
