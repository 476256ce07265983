package pluginhost

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/hypersdk/hypersdk/core/config"
	sdkplugin "github.com/hypersdk/hypersdk/sdk/plugin"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Restart backoff: doubling from minBackoff, capped at maxBackoff, reset once a plugin has been
// ready for stableAfter.
const (
	minBackoff  = 500 * time.Millisecond
	maxBackoff  = 30 * time.Second
	stableAfter = time.Minute
	exitPoll    = 100 * time.Millisecond
	startupWait = 30 * time.Second
)

// errPermanent marks start failures that a restart cannot fix.
var errPermanent = errors.New("permanent")

// instance supervises one plugin process: start, configure, watch, restart with backoff. Its
// name is the providers: key (what the API calls the provider); typ names the binary.
type instance struct {
	name     string
	typ      string
	path     string
	sha256   string
	settings map[string]any // the providers.<name> section without the core keys
	log      hclog.Logger
	// socketDir is where the plugin creates its unix socket ("" for the system's temp dir).
	socketDir string

	mu       sync.Mutex
	status   Status
	client   *goplugin.Client
	provider provider.Provider
	// info is what the plugin said of itself when it last became ready; kept while it restarts.
	info      provider.Info
	infoKnown bool
	// checked: the plugin has told its config schema at least once, and problems is what the
	// schema refused in the section (see Host.SettingsProblems).
	checked  bool
	problems []config.Problem
	changed  chan struct{} // closed and replaced on every state change: a broadcast to waiters
	kick     chan struct{} // a caller saw the process dead before the supervisor did
}

func newInstance(name, typ, path, sha string, settings map[string]any, log hclog.Logger) *instance {
	return &instance{
		name: name, typ: typ, path: path, sha256: sha, settings: settings, log: log,
		status:  Status{Name: name, Type: typ, Path: path, State: StateStarting, Since: time.Now()},
		changed: make(chan struct{}),
		kick:    make(chan struct{}, 1),
	}
}

// run keeps the plugin alive until ctx ends.
func (in *instance) run(ctx context.Context) {
	backoff := minBackoff
	for {
		err := in.start(ctx)
		if err == nil {
			readyAt := time.Now()
			exitErr := in.waitExit(ctx)
			if ctx.Err() != nil {
				in.down(StateStopped, "")
				return
			}
			if time.Since(readyAt) > stableAfter {
				backoff = minBackoff
			}
			err = exitErr
		}
		if ctx.Err() != nil {
			in.down(StateStopped, "")
			return
		}
		if errors.Is(err, errPermanent) {
			in.log.Error("plugin disabled", "error", err)
			in.down(StateFailed, err.Error())
			return
		}
		in.log.Warn("plugin down, restarting", "error", err, "backoff", backoff)
		in.down(StateRestarting, err.Error())
		select {
		case <-ctx.Done():
			in.setState(StateStopped, "")
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, maxBackoff)
	}
}

// start launches, handshakes, asks for Info and configures the plugin.
func (in *instance) start(ctx context.Context) error {
	in.setState(StateStarting, in.lastError())
	if in.sha256 != "" {
		sum, _, err := provider.FileSHA256(in.path)
		if err != nil {
			return fmt.Errorf("%w: hash plugin binary: %v", errPermanent, err)
		}
		if sum != in.sha256 {
			return fmt.Errorf("%w: plugin binary %s has sha256 %s, but providers.%s.plugin_sha256 pins %s", errPermanent, in.path, sum, in.name, in.sha256)
		}
	}
	cmd := exec.Command(in.path)
	if in.socketDir != "" {
		cmd.Env = []string{goplugin.EnvUnixSocketDir + "=" + in.socketDir} // go-plugin adds the rest
	}
	client := goplugin.NewClient(sdkplugin.ClientConfig(cmd, in.log))
	p, err := sdkplugin.Dispense(client)
	if err != nil {
		client.Kill()
		if strings.Contains(strings.ToLower(err.Error()), "incompatible api version") {
			return fmt.Errorf("%w: plugin speaks no protocol version this daemon supports (%d): %v", errPermanent, sdkplugin.ProtocolVersion, err)
		}
		return fmt.Errorf("start plugin %s: %w", in.path, err)
	}
	in.mu.Lock()
	in.client = client
	in.mu.Unlock()
	in.log.Debug("plugin process started")

	callCtx, cancel := context.WithTimeout(ctx, startupWait)
	defer cancel()
	info, err := p.Info(callCtx)
	if err != nil {
		return fmt.Errorf("plugin info: %w", err)
	}
	if info.Name != in.typ {
		return fmt.Errorf("%w: binary %s says it is provider %q, not %q", errPermanent, in.path, info.Name, in.typ)
	}
	settings, err := in.checkSettings(info)
	if err != nil {
		return err
	}
	if err := p.Configure(callCtx, settings); err != nil {
		return fmt.Errorf("configure from providers.%s: %w", in.name, err)
	}
	// Asked again once configured: what a provider can do may follow its settings (the test
	// provider's holds come with its cloud mode), and this is the Info the host keeps.
	if info, err = p.Info(callCtx); err != nil {
		return fmt.Errorf("plugin info after configure: %w", err)
	}
	caps := make([]string, len(info.Capabilities))
	for i, c := range info.Capabilities {
		caps[i] = string(c)
	}
	in.mu.Lock()
	in.provider = p
	in.info, in.infoKnown = info, true
	in.status.Version, in.status.Description, in.status.Capabilities = info.Version, info.Description, caps
	if rc := client.ReattachConfig(); rc != nil && rc.Pid > 0 {
		in.status.PID = rc.Pid
	}
	in.mu.Unlock()
	in.setState(StateReady, "")
	in.log.Info("plugin ready", "version", info.Version, "pid", in.status.PID)
	return nil
}

// waitExit blocks until the plugin process exits or ctx ends.
func (in *instance) waitExit(ctx context.Context) error {
	t := time.NewTicker(exitPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-in.kick:
		case <-t.C:
			in.mu.Lock()
			exited := in.client == nil || in.client.Exited()
			in.mu.Unlock()
			if exited {
				return fmt.Errorf("plugin process exited unexpectedly (%w)", provider.ErrPluginExited)
			}
		}
	}
}

// down kills the process and records the new state in one step, so no caller ever sees a
// "ready" plugin without a process behind it.
func (in *instance) down(s State, lastErr string) {
	in.mu.Lock()
	client := in.client
	in.client, in.provider = nil, nil
	in.status.PID = 0
	if s == StateRestarting {
		in.status.Restarts++
	}
	in.setStateLocked(s, lastErr)
	in.mu.Unlock()
	if client != nil {
		client.Kill()
	}
}

func (in *instance) setState(s State, lastErr string) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.setStateLocked(s, lastErr)
}

func (in *instance) setStateLocked(s State, lastErr string) {
	in.status.State, in.status.LastError, in.status.Since = s, lastErr, time.Now()
	close(in.changed)
	in.changed = make(chan struct{})
}

func (in *instance) lastError() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.status.LastError
}

func (in *instance) snapshot() Status {
	in.mu.Lock()
	defer in.mu.Unlock()
	s := in.status
	s.Capabilities = append([]string(nil), s.Capabilities...)
	return s
}

// current returns the live provider, waiting up to the context's deadline for a plugin that is
// starting or restarting, so a call right after a crash rides out the restart.
func (in *instance) current(ctx context.Context) (provider.Provider, *goplugin.Client, error) {
	told := false
	for {
		in.mu.Lock()
		p, c, st, changed := in.provider, in.client, in.status, in.changed
		in.mu.Unlock()
		switch {
		case st.State == StateReady && p != nil && !c.Exited():
			return p, c, nil
		case st.State == StateReady:
			in.notifyExited()
		case st.State != StateStarting && st.State != StateRestarting:
			return nil, nil, fmt.Errorf("provider %s is %s: %s: %w", in.name, st.State, st.LastError, provider.ErrUnavailable)
		case !told && st.State == StateRestarting && provider.JobID(ctx) != "":
			// Say in the job's log why it is not moving: it waits for the plugin to be back.
			in.log.Warn("waiting for the provider plugin to come back", "job_id", provider.JobID(ctx), "last_error", st.LastError)
			told = true
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, nil, fmt.Errorf("provider %s is %s (last error: %s): %w", in.name, st.State, st.LastError, ctx.Err())
		}
	}
}

// settled reports whether the plugin has left starting/restarting, and a channel closed at the
// next state change.
func (in *instance) settled() (bool, <-chan struct{}) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.status.State != StateStarting && in.status.State != StateRestarting, in.changed
}

// notifyExited wakes the supervisor when a caller sees the process dead before it does.
func (in *instance) notifyExited() {
	select {
	case in.kick <- struct{}{}:
	default:
	}
}
