package api

import (
	"errors"
	"fmt"
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
	// Only a regular file is opened: opening a named pipe would wait for a writer forever, and
	// a device or socket is no disk descriptor either. resolved has its symlinks resolved.
	st, err := os.Stat(resolved)
	switch {
	case errors.Is(err, os.ErrNotExist):
		abort(c, http.StatusNotFound, "not_found", "no such file: "+p, "path")
		return
	case err != nil:
		abort(c, http.StatusBadRequest, "invalid_field", "path: "+err.Error(), "path")
		return
	case !st.Mode().IsRegular():
		abort(c, http.StatusBadRequest, "invalid_field", fmt.Sprintf("path must name a regular file; %s is %s", p, fileKind(st.Mode())), "path")
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

// fileKind names what a file that is not a regular file is, for an error message.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeDevice != 0:
		return "a device"
	}
	return "not a regular file"
}
