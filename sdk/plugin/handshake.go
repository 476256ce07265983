// Package plugin runs providers as hashicorp/go-plugin plugins over gRPC: Serve for a plugin's
// main(), and the host-side client that turns a plugin process back into a provider.Provider.
// The wire types stay internal; both sides speak only sdk/provider.
package plugin

import (
	goplugin "github.com/hashicorp/go-plugin"
)

// ProtocolVersion is the wire protocol this SDK speaks. A host offers every version it supports
// and go-plugin picks the highest one both sides share.
const ProtocolVersion = 2

// pluginName is the key of the provider in go-plugin's plugin map.
const pluginName = "provider"

// Handshake keeps a provider binary from being run by accident as a normal program, and keeps
// the daemon from talking to a binary that is not a HyperSDK provider.
var Handshake = goplugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   "HYPERSDK_PROVIDER_PLUGIN",
	MagicCookieValue: "5b0c1f7e-hypersdk-provider",
}

// maxMessageBytes bounds one gRPC message. Lists stream in batches and bulk data never travels
// over gRPC, so this only has to fit a large VM description.
const maxMessageBytes = 16 << 20

// versionedPlugins maps protocol versions to the plugin set served for each.
func versionedPlugins(p *grpcPlugin) map[int]goplugin.PluginSet {
	return map[int]goplugin.PluginSet{ProtocolVersion: {pluginName: p}}
}
