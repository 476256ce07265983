package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/core/handoff"
	"github.com/hypersdk/hypersdk/core/hosttools"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// CapabilitiesResponse says what this daemon can do on this host right now.
type CapabilitiesResponse struct {
	Version           string            `json:"version"`
	Providers         []ProviderStatus  `json:"providers"`
	ExportMethods     []string          `json:"export_methods"`
	ProviderMethods   []ProviderMethods `json:"provider_methods"`
	ConversionFormats []string          `json:"conversion_formats"`
	Tools             []hosttools.Tool  `json:"tools"`
	// Hyper2KVM is the hand-off: hyper2kvm's version at hyper2kvm.path and, per instance,
	// whether hyper2kvm@<instance> is active and what waits in its workflow directory.
	Hyper2KVM handoff.Status `json:"hyper2kvm"`
	// NodeID names this daemon in its cluster (database.backend etcd); GET /cluster/nodes
	// lists the cluster. Absent on a single daemon.
	NodeID string `json:"node_id,omitempty"`
}

func (h *handlers) capabilities(c *gin.Context) {
	statuses := h.Providers.Statuses()
	c.JSON(http.StatusOK, CapabilitiesResponse{
		Version:           h.Version,
		Providers:         withHolds(statuses, h.Jobs.UnreleasedHoldsByProvider()),
		ExportMethods:     provider.Methods,
		ProviderMethods:   providerMethods(statuses),
		ConversionFormats: []string{"qcow2", "raw"},
		Tools:             h.Tools.Tools(c),
		Hyper2KVM:         h.Hyper2KVM.Status(c),
		NodeID:            h.Jobs.NodeID(),
	})
}
