// Package pluginhost runs the provider plugins of plugins.d as separate processes: it finds them
// by name, verifies an optional pinned checksum, launches each with go-plugin over gRPC,
// negotiates the protocol version, configures it with its providers.<name> section, and restarts
// it with backoff when it dies. The rest of the daemon asks it for a provider by name and gets a
// provider.Provider whose calls survive a plugin crash as clear errors, never as a daemon crash.
package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/config"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/tempdir"
)

// ErrUnknownProvider means no provider of that name is configured or installed.
var ErrUnknownProvider = errors.New("unknown provider")

// Host owns every plugin process.
type Host struct {
	log       hclog.Logger
	sockets   string // where the plugins put their unix sockets; removed at Close
	instances map[string]*instance
	idle      map[string]Status // providers shown in /capabilities that are not running
	cancel    context.CancelFunc
	wg        sync.WaitGroup
}

// Start discovers the plugins in dir and launches every one that has an enabled providers.<name>
// section. It returns once all launches are under way; Wait or a call blocks until a plugin is
// ready. Problems with one plugin are reported in its Status, never as a Start error, so one bad
// plugin does not keep the daemon from serving the others.
func Start(ctx context.Context, log hclog.Logger, dir string, providers map[string]config.Provider) (*Host, error) {
	found, err := discover(dir)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	h := &Host{log: log, instances: map[string]*instance{}, idle: map[string]Status{}, cancel: cancel}
	// Plugins that exit by a signal or with a daemon killed -9 leave their sockets behind: one
	// directory per daemon, swept by the next one when its owner is gone, keeps /tmp clean.
	if h.sockets, err = tempdir.Create("hypersdk-plugins-"); err != nil {
		log.Warn("no private directory for plugin sockets; using the system's", "error", err)
		h.sockets = ""
	}
	now := time.Now()
	used := map[string]bool{} // plugin types that an enabled instance runs
	for name, p := range providers {
		if p.IsEnabled() {
			used[p.TypeOf(name)] = true
		}
	}
	for typ, path := range found {
		if _, named := providers[typ]; !used[typ] && (!named || !providers[typ].IsEnabled()) {
			h.idle[typ] = Status{Name: typ, Type: typ, State: StateNotConfigured, Path: path, Since: now,
				LastError: fmt.Sprintf("installed, but no enabled providers: section has type %s (providers.%s is absent or disabled)", typ, typ)}
		}
	}
	for name, p := range providers {
		if !p.IsEnabled() {
			continue
		}
		typ := p.TypeOf(name)
		path, ok := found[typ]
		if !ok {
			msg := fmt.Sprintf("no plugin binary %s%s in %s", BinaryPrefix, typ, dir)
			if p.Type != "" {
				msg += fmt.Sprintf(" (providers.%s.type is %q)", name, typ)
			} else {
				msg += fmt.Sprintf(" (providers.%s.type names the plugin; it defaults to the instance's name)", name)
			}
			h.idle[name] = Status{Name: name, Type: typ, State: StateMissing, Since: now, LastError: msg}
			log.Warn("configured provider has no plugin binary", "provider", name, "type", typ, "plugins_dir", dir)
			continue
		}
		// Logs and statuses are named after the instance, so two of one type stay apart.
		plog := log.Named(name)
		plog.Debug("launching plugin", "path", path, "type", typ)
		in := newInstance(name, typ, path, p.PluginSHA256, p.Settings, plog)
		in.socketDir = h.sockets
		h.instances[name] = in
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			in.run(ctx)
		}()
	}
	return h, nil
}

// WaitReady blocks until every launched plugin has settled (ready, failed) or ctx ends.
func (h *Host) WaitReady(ctx context.Context) {
	for _, in := range h.instances {
		for {
			done, changed := in.settled()
			if done {
				break
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return
			}
		}
	}
}

// Provider returns the named provider. The result stays valid across plugin restarts.
func (h *Host) Provider(name string) (provider.Provider, error) {
	if in, ok := h.instances[name]; ok {
		return hosted{in: in}, nil
	}
	if st, ok := h.idle[name]; ok {
		return nil, fmt.Errorf("%w %q: %s", ErrUnknownProvider, name, st.LastError)
	}
	return nil, fmt.Errorf("%w %q: configured providers are %v", ErrUnknownProvider, name, h.Names())
}

// Names lists the providers the host runs, sorted.
func (h *Host) Names() []string {
	names := make([]string, 0, len(h.instances))
	for name := range h.instances {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Statuses lists every provider the host knows of, running or not, sorted by name.
func (h *Host) Statuses() []Status {
	out := make([]Status, 0, len(h.instances)+len(h.idle))
	for _, in := range h.instances {
		out = append(out, in.snapshot())
	}
	for _, st := range h.idle {
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Close stops every plugin process and waits for the supervisors to finish.
func (h *Host) Close() {
	h.cancel()
	h.wg.Wait()
	if h.sockets != "" {
		os.RemoveAll(h.sockets)
	}
}
