package api

import (
	"slices"

	"github.com/hypersdk/hypersdk/core/pluginhost"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// ProviderMethods says, for one provider, which export methods it writes itself (Native: its
// export.<method> capabilities) and which the host completes from the disks it writes.
type ProviderMethods struct {
	Provider  string   `json:"provider"`
	Native    []string `json:"native"`
	Completed []string `json:"completed_by_host"`
}

// providerMethods splits every method (provider.Methods: every provider is accepted for each;
// the host completes what a provider does not write itself — an OVF descriptor, VMDK, raw or
// qcow2 images of its disks) into native and host-completed for each provider.
func providerMethods(statuses []pluginhost.Status) []ProviderMethods {
	out := make([]ProviderMethods, 0, len(statuses))
	for _, s := range statuses {
		pm := ProviderMethods{Provider: s.Name, Native: []string{}, Completed: []string{}}
		for _, m := range provider.Methods {
			if slices.Contains(s.Capabilities, "export."+m) {
				pm.Native = append(pm.Native, m)
			} else {
				pm.Completed = append(pm.Completed, m)
			}
		}
		out = append(out, pm)
	}
	return out
}
