package api

import (
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/core/jobs"
)

// retryJob is POST /jobs/retry/{id}: a failed or cancelled job submitted again, as a new job
// with the same request (the old one stays as it ended). It answers as /jobs/submit does.
func (h *handlers) retryJob(c *gin.Context) {
	old, err := h.Jobs.Get(c.Param("id"))
	if err != nil {
		jobError(c, err)
		return
	}
	if old.Status != jobs.StatusFailed && old.Status != jobs.StatusCancelled {
		jobError(c, fmt.Errorf("%w: job %s is %s; only a failed or cancelled job can be retried", jobs.ErrConflict, old.ID, old.Status))
		return
	}
	spec := old.Spec
	// Submit wrote the default export_path (<export.base_path>/<job id>) into the stored spec:
	// the retry, a new job, gets a folder of its own id as the original request would.
	if filepath.Base(spec.ExportPath) == old.ID {
		spec.ExportPath = ""
	}
	if old.ConvertSpec != nil {
		spec = jobs.Spec{Convert: old.ConvertSpec}
	}
	accepted, err := h.Jobs.Submit([]jobs.Spec{spec}, "")
	if err != nil {
		jobError(c, err)
		return
	}
	j := accepted[0]
	c.JSON(http.StatusAccepted, SubmitResponse{JobID: j.ID, Status: string(j.Status), CreatedAt: j.CreatedAt})
}
