package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/kvm"
)

// ConvertRequest is the seed's POST /convert body.
type ConvertRequest struct {
	SourcePath        string            `json:"source_path"`
	OutputPath        string            `json:"output_path"`
	ConversionOptions ConversionOptions `json:"conversion_options"`
}

// ConversionOptions are the seed's conversion_options.
type ConversionOptions struct {
	Format      string `json:"format"`
	Compression *bool  `json:"compression"`
}

// convert accepts a conversion of an existing export (.ova, .ovf or disk image) as a job.
func (h *handlers) convert(c *gin.Context) {
	var req ConvertRequest
	if !decodeJSON(c, &req) {
		return
	}
	spec := &jobs.ConvertSpec{SourcePath: req.SourcePath, OutputPath: req.OutputPath, Format: req.ConversionOptions.Format}
	if req.ConversionOptions.Compression != nil {
		spec.Compress = *req.ConversionOptions.Compression
	}
	accepted, err := h.Jobs.Submit([]jobs.Spec{{Convert: spec}}, "")
	if err != nil {
		jobError(c, err)
		return
	}
	j := accepted[0]
	c.JSON(http.StatusAccepted, SubmitResponse{JobID: j.ID, Status: string(j.Status), CreatedAt: j.CreatedAt})
}

// importToKVM defines a VM around a converted disk, synchronously.
func (h *handlers) importToKVM(c *gin.Context) {
	var req jobs.ImportDiskRequest
	if !decodeJSON(c, &req) {
		return
	}
	out, err := h.Jobs.ImportDisk(c, req)
	var fe *jobs.FieldError
	switch {
	case err == nil:
		c.JSON(http.StatusCreated, out)
	case errors.As(err, &fe):
		abort(c, http.StatusBadRequest, "invalid_field", fe.Error(), fe.Field)
	case errors.Is(err, kvm.ErrExists):
		abort(c, http.StatusConflict, "domain_exists", err.Error(), "vm_name")
	case errors.Is(err, kvm.ErrNoNetwork):
		abort(c, http.StatusBadRequest, "network_not_found", err.Error(), "network")
	case errors.Is(err, kvm.ErrUnavailable):
		abort(c, http.StatusServiceUnavailable, "libvirt_unavailable", err.Error(), "")
	default:
		providerError(c, err, "")
	}
}
