// Command v2plugin is a provider binary from the future: it speaks only protocol version 2,
// so the host must skip it with a warning instead of crashing.
package main

import (
	goplugin "github.com/hashicorp/go-plugin"

	sdkplugin "github.com/hypersdk/hypersdk/sdk/plugin"
)

func main() {
	goplugin.Serve(&goplugin.ServeConfig{
		HandshakeConfig:  sdkplugin.Handshake,
		VersionedPlugins: map[int]goplugin.PluginSet{2: {}},
		GRPCServer:       goplugin.DefaultGRPCServer,
	})
}
