package plugin

import (
	"os/exec"
	"testing"

	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// ConnectInProcess serves impl over a real gRPC connection inside the test process and returns
// the host's side of it: every call crosses the same wire code a plugin binary uses.
func ConnectInProcess(t testing.TB, impl provider.Provider) provider.Provider {
	t.Helper()
	client, _ := goplugin.TestPluginGRPCConn(t, false, map[string]goplugin.Plugin{pluginName: &grpcPlugin{impl: impl, calls: newInflight()}})
	t.Cleanup(func() { client.Close() })
	raw, err := client.Dispense(pluginName)
	if err != nil {
		t.Fatalf("dispense in-process provider: %v", err)
	}
	return raw.(provider.Provider)
}

// Launch starts a built provider binary as a real plugin process and returns its provider;
// the process is killed when the test ends.
func Launch(t testing.TB, binary string) provider.Provider {
	t.Helper()
	p, _ := LaunchKillable(t, binary)
	return p
}

// LaunchKillable is Launch for crash tests: it also returns a kill -9 of the plugin process,
// which returns once the process is gone — a provider dying in the middle of a call.
func LaunchKillable(t testing.TB, binary string) (provider.Provider, func()) {
	t.Helper()
	logger := hclog.New(&hclog.LoggerOptions{Name: "plugin", Output: testWriter{t}, Level: hclog.Warn})
	cmd := exec.Command(binary)
	client := goplugin.NewClient(ClientConfig(cmd, logger))
	t.Cleanup(client.Kill)
	p, err := Dispense(client)
	if err != nil {
		t.Fatalf("launch %s: %v", binary, err)
	}
	return p, func() {
		_ = cmd.Process.Kill()    // already gone is as good
		_, _ = cmd.Process.Wait() // go-plugin may reap it first: then this returns at once
	}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(string(b))
	return len(b), nil
}
