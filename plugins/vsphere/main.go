// Command hypersdk-provider-vsphere is the vSphere provider plugin: discovery and OVF/VMDK
// export from vCenter or ESXi through govmomi, served to hypervisord over go-plugin.
package main

import (
	"github.com/hypersdk/hypersdk/plugins/vsphere/internal/vsphere"
	"github.com/hypersdk/hypersdk/sdk/plugin"
)

func main() { plugin.Serve(vsphere.New()) }
