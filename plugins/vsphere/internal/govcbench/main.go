// Command govcbench is govc with only its export commands, built by the export benchmark so
// `make bench` compares hypervisord's vSphere export with the tool users would otherwise run,
// against the same simulator, in the same run.
package main

import (
	"os"

	"github.com/vmware/govmomi/cli"
	_ "github.com/vmware/govmomi/cli/export"
)

func main() { os.Exit(cli.Run(os.Args[1:])) }
