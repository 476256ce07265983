package plugin

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// ClientConfig is the go-plugin configuration a host uses to launch one provider binary.
// The host owns the process: it calls Kill when it is done or the plugin misbehaves.
func ClientConfig(cmd *exec.Cmd, logger hclog.Logger) *goplugin.ClientConfig {
	// The plugin compares it with its parent when it starts: a host killed before then has
	// re-parented it already, and nothing else would tell it (exitWithParent).
	cmd.Env = append(cmd.Env, hostPIDEnv+"="+strconv.Itoa(os.Getpid()))
	return &goplugin.ClientConfig{
		HandshakeConfig:  Handshake,
		VersionedPlugins: versionedPlugins(&grpcPlugin{}),
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           logger,
		// Plugin stderr reaches the host as parsed log lines through Logger; the raw copy go-plugin
		// would also write to the daemon's stderr is dropped so nothing is printed twice.
		Stderr: io.Discard,
		GRPCDialOptions: []grpc.DialOption{
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMessageBytes), grpc.MaxCallSendMsgSize(maxMessageBytes)),
		},
		// The host restarts plugins itself; it must see them die rather than have go-plugin hide it.
		Managed: false,
	}
}

// Dispense connects to a started plugin and returns its provider.
func Dispense(c *goplugin.Client) (provider.Provider, error) {
	rpc, err := c.Client()
	if err != nil {
		return nil, err
	}
	raw, err := rpc.Dispense(pluginName)
	if err != nil {
		return nil, fmt.Errorf("dispense provider: %w", err)
	}
	p, ok := raw.(provider.Provider)
	if !ok {
		return nil, fmt.Errorf("dispense provider: plugin returned %T", raw)
	}
	return p, nil
}
