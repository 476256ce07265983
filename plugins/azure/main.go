// Command hypersdk-provider-azure is the Azure provider plugin: discovery of virtual machines
// through Azure Resource Manager and export of their managed disks (snapshot, SAS grant,
// allocated page ranges only), served to hypervisord over go-plugin.
package main

import (
	"github.com/hypersdk/hypersdk/plugins/azure/internal/azure"
	"github.com/hypersdk/hypersdk/sdk/plugin"
)

func main() { plugin.Serve(azure.New()) }
