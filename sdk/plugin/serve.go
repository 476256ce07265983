package plugin

import (
	"io"
	"os"
	"os/signal"
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

// exitWithParent ends the process once its parent has gone (it is then re-parented, so
// getppid changes), after the calls in flight have unwound and the provider is closed.
func exitWithParent(shutdown func(string)) {
	parent := os.Getppid()
	for range time.Tick(parentCheckEvery) {
		if os.Getppid() != parent {
			shutdown("the host is gone")
			os.Exit(1)
		}
	}
}
