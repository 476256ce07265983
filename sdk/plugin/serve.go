package plugin

import (
	"os"

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
func Serve(impl provider.Provider) {
	logger := hclog.New(&hclog.LoggerOptions{
		Level:      hclog.Trace,
		Output:     os.Stderr,
		JSONFormat: true,
	})
	hclog.SetDefault(logger)
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: versionedPlugins(&grpcPlugin{impl: impl}),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			opts = append(opts, grpc.MaxRecvMsgSize(maxMessageBytes), grpc.MaxSendMsgSize(maxMessageBytes))
			return goplugin.DefaultGRPCServer(opts)
		},
		Logger: logger,
	})
}
