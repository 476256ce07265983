package plugin

import (
	"io"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Serve runs impl as a provider plugin until the host goes away. It is the whole of a plugin's
// main():
//
//	func main() { plugin.Serve(vsphere.New()) }
//
// Logs go as JSON to stderr through hclog (stdout belongs to go-plugin's handshake); use
// provider.Logger(ctx) inside calls so lines carry the job they belong to.
//
// A provider that holds resources beyond its process (temporary files, an embedded simulator,
// sessions worth logging out of) implements io.Closer: Serve calls Close once, when the host
// shuts the plugin down, when the process is sent SIGTERM (as systemd does to the whole unit),
// or when the host dies without a word (kill -9, a crash): go-plugin would leave the plugin
// running forever then, so Serve watches its parent and exits when it is gone. Before Close,
// the calls in flight are cancelled and given time to return, so what a provider defers (a VM
// powered back on) runs even when the daemon was killed.
func Serve(impl provider.Provider) {
	logger := hclog.New(&hclog.LoggerOptions{
		Level:      hclog.Trace,
		Output:     os.Stderr,
		JSONFormat: true,
	})
	hclog.SetDefault(logger)
	// stderr is a pipe to the host. Once the host is gone, Go's default would end the process
	// with SIGPIPE at the next log line — before a cancelled export's clean-up (a VM powered back
	// on) has run. Ignored, a write to the broken pipe only fails.
	signal.Ignore(syscall.SIGPIPE)
	calls := newInflight()
	var once sync.Once
	// shutdown cancels the calls in flight and lets them unwind (their deferred clean-up runs),
	// then closes the provider.
	shutdown := func(why string) {
		once.Do(func() {
			if !calls.drain(drainTimeout) {
				logger.Error("calls still running after "+drainTimeout.String()+"; exiting anyway", "reason", why)
			}
			if c, ok := impl.(io.Closer); ok {
				if err := c.Close(); err != nil {
					logger.Warn("closing the provider", "error", err)
				}
			}
		})
	}
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		<-term
		shutdown("SIGTERM")
		os.Exit(128 + int(syscall.SIGTERM))
	}()
	go exitWithParent(shutdown)
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: versionedPlugins(&grpcPlugin{impl: impl, calls: calls}),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(maxMessageBytes), grpc.MaxSendMsgSize(maxMessageBytes))
			return goplugin.DefaultGRPCServer(opts)
		},
		Logger: logger,
	})
	shutdown("the host asked the plugin to stop")
}

// parentCheckEvery is how often a plugin looks whether the daemon that started it still lives.
const parentCheckEvery = time.Second

// drainTimeout bounds how long a stopping plugin waits for its cancelled calls to unwind: long
// enough for a provider to undo what it did to the platform (power a VM back on).
const drainTimeout = 2 * time.Minute

// closeTimeout bounds a provider's Close once the host is gone: nobody waits for it then.
const closeTimeout = 30 * time.Second

// exitWithParent ends the process once its parent has gone (it is then re-parented, so
// getppid changes), after the calls in flight have unwound and the provider is closed — or
// after drainTimeout + closeTimeout, whichever comes first: a shutdown already under way (the
// host asked the plugin to stop, then died) may be stuck in the provider's Close, and a plugin
// whose host is gone must not live on (one was found running 30 minutes after its daemon).
func exitWithParent(shutdown func(string)) {
	parent := os.Getppid()
	if hostGoneAtStart(os.Getenv(hostPIDEnv), parent) {
		shutdownWithin(shutdown, "the host was gone before the plugin started", drainTimeout+closeTimeout)
		os.Exit(1)
	}
	for range time.Tick(parentCheckEvery) {
		if os.Getppid() != parent {
			shutdownWithin(shutdown, "the host is gone", drainTimeout+closeTimeout)
			os.Exit(1)
		}
	}
}

// hostPIDEnv carries the host's process id to the plugin it starts (ClientConfig).
const hostPIDEnv = "HYPERSDK_HOST_PID"

// hostGoneAtStart says whether the host that started the plugin (its pid in hostPIDEnv, when
// set) is no longer its parent: it died before the plugin first looked, so the parent
// watch, which only sees a change, would never fire.
func hostGoneAtStart(hostPID string, parent int) bool {
	return hostPID != "" && hostPID != strconv.Itoa(parent)
}

// shutdownWithin runs shutdown(why) and returns when it has, or once limit has passed.
func shutdownWithin(shutdown func(string), why string, limit time.Duration) bool {
	done := make(chan struct{})
	go func() {
		shutdown(why)
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-time.After(limit):
		return false
	}
}
