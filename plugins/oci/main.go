// Command hypersdk-provider-oci is the Oracle Cloud Infrastructure provider plugin: discovery
// of Compute instances across compartments and export of their boot volumes through custom
// images exported to Object Storage, served to hypervisord over go-plugin.
package main

import (
	"github.com/hypersdk/hypersdk/plugins/oci/internal/oci"
	"github.com/hypersdk/hypersdk/sdk/plugin"
)

func main() { plugin.Serve(oci.New()) }
