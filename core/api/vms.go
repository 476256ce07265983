package api

import (
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"

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
	switch req.Filter.Status {
	case "", provider.PowerOn, provider.PowerOff, provider.PowerSuspended:
	default:
		abort(c, http.StatusBadRequest, "invalid_field", "filter.status must be poweredOn, poweredOff or suspended, got "+quote(req.Filter.Status), "filter.status")
		return
	}
	if _, err := path.Match(req.Filter.NamePattern, ""); err != nil {
		abort(c, http.StatusBadRequest, "invalid_field", "filter.name_pattern is not a valid glob: "+err.Error(), "filter.name_pattern")
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
	if field := unhonouredFilter(info, req.Filter); field != "" {
		abort(c, http.StatusBadRequest, "invalid_field", fmt.Sprintf("filter.%s is not supported by provider %s, which filters by %s only",
			field, req.Provider, strings.Join(info.Filters, ", ")), "filter."+field)
		return
	}
	vms, err := p.ListVMs(c, provider.Filter{
		Datacenter: req.Filter.Datacenter, PowerState: req.Filter.Status, Folder: req.Filter.Folder,
		Tags: req.Filter.Tags, NamePattern: req.Filter.NamePattern,
	})
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

// unhonouredFilter names the first filter field that is set but not among those the provider
// honours (Info.Filters; empty means all), or "".
func unhonouredFilter(info provider.Info, f VMFilter) string {
	if len(info.Filters) == 0 {
		return ""
	}
	set := []struct {
		field string
		on    bool
	}{
		{provider.FilterDatacenter, f.Datacenter != ""}, {provider.FilterFolder, f.Folder != ""},
		{provider.FilterPowerState, f.Status != ""}, {provider.FilterTags, len(f.Tags) > 0},
		{provider.FilterNamePattern, f.NamePattern != ""},
	}
	for _, s := range set {
		if s.on && !slices.Contains(info.Filters, s.field) {
			return s.field
		}
	}
	return ""
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
