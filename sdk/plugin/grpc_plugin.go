package plugin

import (
	"context"

	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/hypersdk/hypersdk/sdk/internal/providerpb"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// grpcPlugin is the go-plugin glue: on the plugin side it registers the server adapter, on the
// host side it builds the client adapter.
type grpcPlugin struct {
	goplugin.NetRPCUnsupportedPlugin
	impl  provider.Provider
	calls *inflight // nil on the host side
}

var _ goplugin.GRPCPlugin = (*grpcPlugin)(nil)

func (p *grpcPlugin) GRPCServer(_ *goplugin.GRPCBroker, s *grpc.Server) error {
	providerpb.RegisterProviderServer(s, &server{impl: p.impl, calls: p.calls})
	return nil
}

func (p *grpcPlugin) GRPCClient(_ context.Context, _ *goplugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return newClient(c), nil
}
