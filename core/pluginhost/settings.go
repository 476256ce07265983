package pluginhost

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/hypersdk/hypersdk/core/config"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// checkSettings checks the instance's section against the schema the plugin declares and returns
// the settings to configure it with. A section the schema refuses will not get better with a
// restart: that is a permanent failure, and the problems wait for SettingsProblems.
func (in *instance) checkSettings(info provider.Info) (provider.Config, error) {
	if err := provider.CheckSchema(info.Config); err != nil {
		in.recordChecked(nil)
		return provider.Config{}, fmt.Errorf("%w: plugin %s declares a config schema the host cannot use: %v", errPermanent, in.path, err)
	}
	settings, problems := config.CheckProviderSettings(in.name, info.Config, in.settings)
	in.recordChecked(problems)
	if len(problems) > 0 {
		lines := make([]string, len(problems))
		for i, p := range problems {
			lines[i] = p.String()
		}
		return provider.Config{}, fmt.Errorf("%w: invalid settings: %s", errPermanent, strings.Join(lines, "; "))
	}
	in.log.Debug("configuring plugin", "settings", config.RedactProviderSettings(info.Config, in.settings))
	cfg, err := provider.NewConfig(settings)
	if err != nil {
		return provider.Config{}, fmt.Errorf("%w: providers.%s: %v", errPermanent, in.name, err)
	}
	return cfg, nil
}

func (in *instance) recordChecked(problems []config.Problem) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.checked, in.problems = true, problems
	// Wake waitChecked now: start-up must not wait for a Configure that takes long.
	close(in.changed)
	in.changed = make(chan struct{})
}

// SettingsProblems waits until every launched plugin has declared its config schema — or has
// failed before it could — and returns every setting its schema refuses, sorted by key path.
// The daemon calls it at start-up and exits as for any configuration error when it returns
// something. A plugin that has not answered when ctx ends is left out (it is checked, and
// refused, whenever it does start).
func (h *Host) SettingsProblems(ctx context.Context) []config.Problem {
	var out []config.Problem
	for _, in := range h.instances {
		out = append(out, in.waitChecked(ctx)...)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// waitChecked waits for the first start to reach the schema check, or to end without it (any
// state but starting), or for ctx to end.
func (in *instance) waitChecked(ctx context.Context) []config.Problem {
	for {
		in.mu.Lock()
		checked, problems, state, changed := in.checked, in.problems, in.status.State, in.changed
		in.mu.Unlock()
		if checked {
			return problems
		}
		if state != StateStarting {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil
		}
	}
}

// Info returns what the named provider said of itself when it last became ready, and false
// before it ever has. It does not call the plugin, so it answers while the plugin restarts.
func (h *Host) Info(name string) (provider.Info, bool) {
	in, ok := h.instances[name]
	if !ok {
		return provider.Info{}, false
	}
	return in.cachedInfo()
}

func (in *instance) cachedInfo() (provider.Info, bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.info, in.infoKnown
}
