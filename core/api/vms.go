package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// ListVMsRequest is the seed's POST /vms/list body.
type ListVMsRequest struct {
	Provider string   `json:"provider"`
	Filter   VMFilter `json:"filter"`
}

// VMFilter is the seed's filter (datacenter, status) plus folder, tags and a name glob. On a
// cloud, datacenter is the region, location or zone; a tag is "key" (any value) or "key=value".
// A field the provider does not honour (its Info.Filters) is a 400 naming it.
type VMFilter struct {
	Datacenter  string   `json:"datacenter,omitempty"`
	Status      string   `json:"status,omitempty"`
	Folder      string   `json:"folder,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	NamePattern string   `json:"name_pattern,omitempty"`
}

// ListVMsResponse is the answer to /vms/list.
type ListVMsResponse struct {
	Provider string      `json:"provider"`
	Total    int         `json:"total"`
	VMs      []VMSummary `json:"vms"`
}

// VMInfoResponse is the answer to /vms/info.
type VMInfoResponse struct {
	Provider string      `json:"provider"`
	VM       provider.VM `json:"vm"`
}

func (h *handlers) listVMs(c *gin.Context) {
	var req ListVMsRequest
	if !decodeJSON(c, &req) {
		return
	}
	if req.Provider == "" {
		abort(c, http.StatusBadRequest, "missing_field", "provider is required", "provider")
		return
	}
	filter := req.Filter.filter()
	if err := filter.Validate(); err != nil {
		filterError(c, err)
		return
	}
	p, err := h.Providers.Provider(req.Provider)
	if err != nil {
		providerError(c, err, "provider")
		return
	}
	info, err := p.Info(c)
	if err != nil {
		providerError(c, err, "provider")
		return
	}
	if err := provider.CheckFilterFields(req.Provider, info, filter); err != nil {
		filterError(c, err)
		return
	}
	vms, err := p.ListVMs(c, filter)
	if err != nil {
		providerError(c, err, "filter")
		return
	}
	out := ListVMsResponse{Provider: req.Provider, Total: len(vms), VMs: make([]VMSummary, len(vms))}
	for i, v := range vms {
		out.VMs[i] = vmSummaryJSON(v)
	}
	c.JSON(http.StatusOK, out)
}

// filter is the request's filter as a provider takes it.
func (f VMFilter) filter() provider.Filter {
	return provider.Filter{Datacenter: f.Datacenter, PowerState: f.Status, Folder: f.Folder, Tags: f.Tags, NamePattern: f.NamePattern}
}

// filterError answers a refused filter field (provider.FilterError) with a 400 naming it.
func filterError(c *gin.Context, err error) {
	var fe *provider.FilterError
	if !errors.As(err, &fe) {
		providerError(c, err, "filter")
		return
	}
	abort(c, http.StatusBadRequest, "invalid_field", "filter."+fe.Error(), "filter."+fe.Field)
}

func (h *handlers) vmInfo(c *gin.Context) {
	id, name := c.Query("identifier"), c.Query("provider")
	if id == "" {
		abort(c, http.StatusBadRequest, "missing_field", "query parameter identifier is required", "identifier")
		return
	}
	if name == "" {
		abort(c, http.StatusBadRequest, "missing_field", "query parameter provider is required", "provider")
		return
	}
	p, err := h.Providers.Provider(name)
	if err != nil {
		providerError(c, err, "provider")
		return
	}
	vm, err := p.GetVM(c, id)
	if err != nil {
		providerError(c, err, "identifier")
		return
	}
	c.JSON(http.StatusOK, VMInfoResponse{Provider: name, VM: vmJSON(vm)})
}
