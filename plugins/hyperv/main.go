// Command hypersdk-provider-hyperv is the Hyper-V provider plugin: discovery of virtual
// machines with PowerShell over WinRM and export of their disks from production checkpoints,
// read over SMB3 from a read-only export share, served to hypervisord over go-plugin.
package main

import (
	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/hyperv"
	"github.com/hypersdk/hypersdk/sdk/plugin"
)

func main() { plugin.Serve(hyperv.New()) }
