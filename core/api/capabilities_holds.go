package api

import (
	"fmt"
	"sort"
	"time"

	"github.com/hypersdk/hypersdk/core/pluginhost"
)

// ProviderStatus is a provider instance's state, with how many holds of its jobs are not
// released yet: held by an export that runs, or waiting for a release that keeps failing (a
// snapshot, a grant, a VM left powered off — the job's holds say which and why).
type ProviderStatus struct {
	pluginhost.Status
	UnreleasedHolds int `json:"unreleased_holds"`
}

// withHolds adds the counts of unreleased holds to the statuses, and lists a provider that
// still has some but is configured no more, so they do not go unseen.
func withHolds(statuses []pluginhost.Status, unreleased map[string]int) []ProviderStatus {
	out := make([]ProviderStatus, 0, len(statuses))
	seen := map[string]bool{}
	for _, s := range statuses {
		out = append(out, ProviderStatus{Status: s, UnreleasedHolds: unreleased[s.Name]})
		seen[s.Name] = true
	}
	var gone []string
	for name, n := range unreleased {
		if !seen[name] && n > 0 {
			gone = append(gone, name)
		}
	}
	sort.Strings(gone)
	for _, name := range gone {
		out = append(out, ProviderStatus{UnreleasedHolds: unreleased[name], Status: pluginhost.Status{
			Name: name, State: pluginhost.StateNotConfigured, Since: time.Now().UTC(),
			LastError: fmt.Sprintf("jobs hold %d things made through this provider instance, which is configured no more: they cannot be released until it is", unreleased[name]),
		}})
	}
	return out
}
