package api

import (
	"errors"
	"net/http"
	"os"

	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/core/pipeline"
	"github.com/hypersdk/hypersdk/core/vmdk"
)

// ParseVMDKResponse is GET /parse-vmdk.
type ParseVMDKResponse struct {
	Path string `json:"path"`
	vmdk.Descriptor
}

// parseVMDK parses a VMDK descriptor (a descriptor file or the one embedded in a sparse or
// streamOptimized disk) under export.base_path or hyper2kvm.output_dir.
func (h *handlers) parseVMDK(c *gin.Context) {
	p := c.Query("path")
	if p == "" {
		abort(c, http.StatusBadRequest, "missing_field", "query parameter path is required", "path")
		return
	}
	var resolved string
	for _, root := range h.FileRoots {
		if r, err := pipeline.ConfinePath(root, p); err == nil {
			resolved = r
			break
		}
	}
	if resolved == "" {
		abort(c, http.StatusBadRequest, "invalid_field", "path must lie under export.base_path or hyper2kvm.output_dir", "path")
		return
	}
	d, err := vmdk.ParseFile(resolved)
	switch {
	case err == nil:
		c.JSON(http.StatusOK, ParseVMDKResponse{Path: resolved, Descriptor: d})
	case errors.Is(err, os.ErrNotExist):
		abort(c, http.StatusNotFound, "not_found", "no such file: "+p, "path")
	default:
		abort(c, http.StatusBadRequest, "invalid_vmdk", err.Error(), "path")
	}
}
