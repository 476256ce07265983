package vsphere

import (
	"context"
	"fmt"
	"regexp"

	govovf "github.com/vmware/govmomi/ovf"
	"github.com/vmware/govmomi/vim25/types"
)

// cdromItem matches one VirtualHardwareSection Item describing a CD-ROM (CIM resource type 15,
// or 16 for DVD). Items never nest, so a non-greedy match stays inside one.
var cdromItem = regexp.MustCompile(`(?s)\s*<Item\b[^>]*>(?:(?:[^<]|<[^/]|</[^I])*?)<(?:\w+:)?ResourceType>1[56]</(?:\w+:)?ResourceType>.*?</Item>`)

// createDescriptor asks vCenter's OVF manager for the VM's descriptor, naming the disk files
// as they were written.
func createDescriptor(ctx context.Context, c *conn, vm types.ManagedObjectReference, name string, files []types.OvfFile) (string, error) {
	res, err := govovf.NewManager(c.vim).CreateDescriptor(ctx, vm, types.OvfCreateDescriptorParams{
		Name: name, OvfFiles: files, IncludeImageFiles: types.NewBool(false),
	})
	if err != nil {
		return "", fmt.Errorf("create OVF descriptor: %w", err)
	}
	if res.Error != nil && len(res.Error) > 0 {
		return "", fmt.Errorf("create OVF descriptor: %s", res.Error[0].LocalizedMessage)
	}
	return res.OvfDescriptor, nil
}

// stripCDROMs removes CD-ROM drives from a descriptor, for the remove_cdrom option: the source
// VM is left untouched, the exported machine simply has no CD-ROM.
func stripCDROMs(desc string) string {
	return cdromItem.ReplaceAllString(desc, "")
}
