package api

import (
	"net/http"
	"path"

	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// ListVMsRequest is the seed's POST /vms/list body.
type ListVMsRequest struct {
	Provider string   `json:"provider"`
	Filter   VMFilter `json:"filter"`
}

// VMFilter is the seed's filter (datacenter, status) plus folder, tags and a name glob.
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
