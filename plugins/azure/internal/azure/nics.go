package azure

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// networkAPIVersion is the Microsoft.Network API version of the one NIC read.
const networkAPIVersion = "2024-05-01"

// describeNIC fills a NIC's MAC (as aa:bb:cc:dd:ee:ff) and network (virtualNetwork/subnet) from
// the network interface its Network names (the ARM id, replaced here).
func (c *clients) describeNIC(ctx context.Context, nic *provider.NIC) error {
	id := nic.Network
	var body struct {
		Properties struct {
			MACAddress       string `json:"macAddress"`
			IPConfigurations []struct {
				Properties struct {
					Subnet struct {
						ID string `json:"id"`
					} `json:"subnet"`
				} `json:"properties"`
			} `json:"ipConfigurations"`
		} `json:"properties"`
	}
	if err := c.get(ctx, id, networkAPIVersion, &body); err != nil {
		return armError("read network interface "+nic.Label, err)
	}
	nic.MAC = strings.ToLower(strings.ReplaceAll(body.Properties.MACAddress, "-", ":"))
	nic.Network = ""
	for _, ipc := range body.Properties.IPConfigurations {
		if r, err := parseID(ipc.Properties.Subnet.ID); err == nil && r.Parent != nil {
			nic.Network = r.Parent.Name + "/" + r.Name
			break
		}
	}
	return nil
}

// check proves the credential and the subscription with one cheap read of the subscription.
func (c *clients) check(ctx context.Context, subscription string) error {
	var sub struct {
		State string `json:"state"`
	}
	if err := c.get(ctx, "/subscriptions/"+subscription, "2022-12-01", &sub); err != nil {
		return armError("read subscription "+subscription, err)
	}
	if sub.State != "" && sub.State != "Enabled" {
		return fmt.Errorf("%w: subscription %s is %s", provider.ErrUnavailable, subscription, sub.State)
	}
	return nil
}

// get reads one Resource Manager resource by its id through the ARM pipeline (auth, retries).
func (c *clients) get(ctx context.Context, id, apiVersion string, into any) error {
	req, err := runtime.NewRequest(ctx, http.MethodGet, runtime.JoinPaths(c.arm.Endpoint(), id))
	if err != nil {
		return err
	}
	q := req.Raw().URL.Query()
	q.Set("api-version", apiVersion)
	req.Raw().URL.RawQuery = q.Encode()
	req.Raw().Header.Set("Accept", "application/json")
	resp, err := c.arm.Pipeline().Do(req)
	if err != nil {
		return err
	}
	if !runtime.HasStatusCode(resp, http.StatusOK) {
		return runtime.NewResponseError(resp)
	}
	return runtime.UnmarshalAsJSON(resp, into)
}
