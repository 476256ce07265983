// Command v1plugin is a provider binary built with an SDK older than the host's: it speaks only
// protocol version 1 (before holds and acknowledged checkpoints), so the host must refuse it
// with a clear status instead of crashing.
package main

import (
	goplugin "github.com/hashicorp/go-plugin"

	sdkplugin "github.com/hypersdk/hypersdk/sdk/plugin"
)

func main() {
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  sdkplugin.Handshake,
		VersionedPlugins: map[int]goplugin.PluginSet{1: {}},
		GRPCServer:       goplugin.DefaultGRPCServer,
	})
}
