// Command hypersdk-provider-gcp is the Google Cloud provider plugin: discovery of Compute
// Engine instances and export of their disks through images and the image-export build to
// Cloud Storage, served to hypervisord over go-plugin.
package main

import (
	"github.com/hypersdk/hypersdk/plugins/gcp/internal/gcp"
	"github.com/hypersdk/hypersdk/sdk/plugin"
)

func main() { plugin.Serve(gcp.New()) }
