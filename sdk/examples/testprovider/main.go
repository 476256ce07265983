// Command testprovider is the SDK's example provider and the daemon's test double: it serves
// fake VMs and writes real small raw disk files, and it can misbehave on demand (the VMs
// vm-panic, vm-hang and vm-exit) so crash handling is tested against a real separate process.
// Third-party authors can copy it as the skeleton of a provider.
package main

import (
	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
	"github.com/hypersdk/hypersdk/sdk/plugin"
)

func main() { plugin.Serve(fake.New()) }
