// Command hypersdk-provider-aws is the AWS provider plugin: discovery of EC2 instances and
// export of their EBS volumes through snapshots read with the EBS direct APIs, served to
// hypervisord over go-plugin.
package main

import (
	"github.com/hypersdk/hypersdk/plugins/aws/internal/awsprovider"
	"github.com/hypersdk/hypersdk/sdk/plugin"
)

func main() { plugin.Serve(awsprovider.New()) }
