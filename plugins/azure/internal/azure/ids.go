package azure

import (
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/arm"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// A VM's id in the contract is "resourceGroup/name": short, stable, unique in a subscription,
// and what a user types. GetVM and ExportVM also take a full ARM id.
func vmID(rg, name string) string { return rg + "/" + name }

// parseVMID splits a contract VM id or an ARM VM id into resource group and name.
func parseVMID(id string) (rg, name string, err error) {
	if strings.HasPrefix(id, "/") {
		r, perr := arm.ParseResourceID(id)
		if perr != nil || !strings.EqualFold(r.ResourceType.String(), "Microsoft.Compute/virtualMachines") {
			return "", "", fmt.Errorf("%w: %q is not a virtual machine's resource id", provider.ErrNotFound, id)
		}
		return r.ResourceGroupName, r.Name, nil
	}
	rg, name, ok := strings.Cut(id, "/")
	if !ok || rg == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("%w: VM id %q is not resourceGroup/name", provider.ErrNotFound, id)
	}
	return rg, name, nil
}

// resourceName is the last segment of an ARM id, its resource group, and its subscription.
func parseID(id string) (*arm.ResourceID, error) {
	r, err := arm.ParseResourceID(id)
	if err != nil {
		return nil, fmt.Errorf("resource id %q: %w", id, err)
	}
	return r, nil
}
