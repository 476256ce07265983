package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// SubmitResponse is the seed's answer to /jobs/submit.
type SubmitResponse struct {
	JobID     string    `json:"job_id"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

// BatchSubmitResponse answers a list of jobs submitted at once.
type BatchSubmitResponse struct {
	Jobs []SubmitResponse `json:"jobs"`
}

// submitJobs accepts the seed's body, or a JSON array of such bodies (the batch pattern); every
// job is validated before any is accepted. ({"jobs":[…]} is not accepted: "jobs" is an unknown
// field.)
func (h *handlers) submitJobs(c *gin.Context) {
	raw, ok := readBody(c)
	if !ok {
		return
	}
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	var specs []jobs.Spec
	batch := len(trimmed) > 0 && trimmed[0] == '['
	if batch {
		// Each job is decoded on its own, so that an error names it: jobs[1].options.compress.
		var elems []json.RawMessage
		if !decodeBytes(c, raw, &elems) {
			return
		}
		if len(elems) == 0 {
			abort(c, http.StatusBadRequest, "invalid_request", "the job list is empty", "")
			return
		}
		specs = make([]jobs.Spec, len(elems))
		for i, e := range elems {
			if !decodeAt(c, e, &specs[i], "jobs["+strconv.Itoa(i)+"]") {
				return
			}
		}
	} else {
		var one jobs.Spec
		if !decodeBytes(c, raw, &one) {
			return
		}
		specs = []jobs.Spec{one}
	}
	accepted, err := h.Jobs.Submit(specs, "")
	if err != nil {
		jobError(c, err)
		return
	}
	out := make([]SubmitResponse, len(accepted))
	for i, j := range accepted {
		out[i] = SubmitResponse{JobID: j.ID, Status: string(j.Status), CreatedAt: j.CreatedAt}
	}
	if batch {
		c.JSON(http.StatusAccepted, BatchSubmitResponse{Jobs: out})
		return
	}
	c.JSON(http.StatusAccepted, out[0])
}

func jobError(c *gin.Context, err error) {
	var fe *jobs.FieldError
	switch {
	case errors.As(err, &fe) && errors.Is(err, jobs.ErrConflict):
		abort(c, http.StatusConflict, "conflict", fe.Error(), fe.Field)
	case errors.As(err, &fe):
		abort(c, http.StatusBadRequest, "invalid_field", fe.Error(), fe.Field)
	case errors.Is(err, jobs.ErrNotFound):
		abort(c, http.StatusNotFound, "not_found", err.Error(), "job_id")
	case errors.Is(err, jobs.ErrConflict):
		abort(c, http.StatusConflict, "conflict", err.Error(), "")
	case errors.Is(err, provider.ErrUnavailable), errors.Is(err, provider.ErrPluginExited):
		providerError(c, err, "provider") // the plugin is not ready to answer: 503, try again
	default:
		abort(c, http.StatusInternalServerError, "internal", err.Error(), "")
	}
}

func (h *handlers) queryJob(c *gin.Context) {
	id := c.Query("job_id")
	if id == "" {
		abort(c, http.StatusBadRequest, "missing_field", "query parameter job_id is required", "job_id")
		return
	}
	j, err := h.Jobs.Get(id)
	if err != nil {
		jobError(c, err)
		return
	}
	c.JSON(http.StatusOK, view(j))
}

// JobList is a page of jobs.
type JobList struct {
	Jobs   []JobView `json:"jobs"`
	Total  int       `json:"total"`
	Limit  int       `json:"limit"`
	Offset int       `json:"offset"`
}

func (h *handlers) listJobs(c *gin.Context) {
	status := jobs.Status(c.Query("status"))
	switch status {
	case "", jobs.StatusPending, jobs.StatusRunning, jobs.StatusCompleted, jobs.StatusFailed, jobs.StatusCancelled:
	default:
		abort(c, http.StatusBadRequest, "invalid_field", "status must be pending, running, completed, failed or cancelled", "status")
		return
	}
	limit, ok := intQuery(c, "limit", 50, 1, 1000)
	if !ok {
		return
	}
	offset, ok := intQuery(c, "offset", 0, 0, 1<<31)
	if !ok {
		return
	}
	opts := jobs.ListOptions{Status: status, Limit: limit, Offset: offset}
	var list []jobs.Job
	var total int
	var err error
	if name := c.Query("provider"); name != "" {
		list, total, err = h.listByProvider(opts, name)
	} else {
		list, total, err = h.Jobs.List(opts)
	}
	if err != nil {
		jobError(c, err)
		return
	}
	out := JobList{Jobs: make([]JobView, len(list)), Total: total, Limit: limit, Offset: offset}
	for i, j := range list {
		out.Jobs[i] = view(j)
	}
	c.JSON(http.StatusOK, out)
}

// ProgressResponse is GET /jobs/progress/{id}; the seed's script reads .percentage.
type ProgressResponse struct {
	JobID  string `json:"job_id"`
	Status string `json:"status"`
	Stage  string `json:"stage,omitempty"`
	jobs.Progress
}

func (h *handlers) jobProgress(c *gin.Context) {
	j, err := h.Jobs.Get(c.Param("id"))
	if err != nil {
		jobError(c, err)
		return
	}
	c.JSON(http.StatusOK, ProgressResponse{JobID: j.ID, Status: string(j.Status), Stage: j.Stage, Progress: j.Progress})
}

// ETAResponse is GET /jobs/eta/{id}.
type ETAResponse struct {
	JobID               string     `json:"job_id"`
	Status              string     `json:"status"`
	Percentage          float64    `json:"percentage"`
	ETASeconds          *float64   `json:"eta_seconds"`
	EstimatedCompletion *time.Time `json:"estimated_completion"`
	ThroughputBps       float64    `json:"throughput_bps"`
}

func (h *handlers) jobETA(c *gin.Context) {
	j, err := h.Jobs.Get(c.Param("id"))
	if err != nil {
		jobError(c, err)
		return
	}
	out := ETAResponse{JobID: j.ID, Status: string(j.Status), Percentage: j.Progress.Percentage, ThroughputBps: j.Progress.ThroughputBps}
	switch {
	case j.Status.Terminal():
		zero := 0.0
		out.ETASeconds, out.EstimatedCompletion = &zero, j.FinishedAt
	case j.Status == jobs.StatusRunning && j.Progress.ETASeconds != nil:
		eta := *j.Progress.ETASeconds
		at := time.Now().UTC().Add(time.Duration(eta * float64(time.Second)))
		out.ETASeconds, out.EstimatedCompletion = &eta, &at
	}
	c.JSON(http.StatusOK, out)
}

func (h *handlers) cancelJob(c *gin.Context) {
	j, err := h.Jobs.Cancel(c.Param("id"))
	if err != nil {
		jobError(c, err)
		return
	}
	c.JSON(http.StatusOK, view(j))
}

// PruneRequest is POST /jobs/prune: delete the jobs that ended more than older_than ago (a Go
// duration, "720h"), with their logs. Without it, database.job_retention applies.
type PruneRequest struct {
	OlderThan string `json:"older_than,omitempty"`
}

// PruneResponse says how many ended jobs were deleted, and the age they were older than.
type PruneResponse struct {
	Removed   int    `json:"removed"`
	OlderThan string `json:"older_than"`
}

func (h *handlers) pruneJobs(c *gin.Context) {
	raw, ok := readBody(c)
	if !ok {
		return
	}
	var req PruneRequest
	if len(bytes.TrimSpace(raw)) > 0 && !decodeBytes(c, raw, &req) {
		return
	}
	olderThan := h.Jobs.Retention()
	if req.OlderThan != "" {
		d, err := time.ParseDuration(req.OlderThan)
		if err != nil || d < 0 {
			abort(c, http.StatusBadRequest, "invalid_field", "older_than must be a duration like \"720h\" or \"90m\", not negative; got "+strconv.Quote(req.OlderThan), "older_than")
			return
		}
		olderThan = d
	} else if olderThan <= 0 {
		abort(c, http.StatusBadRequest, "missing_field", "older_than is required: database.job_retention is 0, which keeps jobs forever", "older_than")
		return
	}
	n, err := h.Jobs.Prune(c.Request.Context(), olderThan)
	if err != nil {
		jobError(c, err)
		return
	}
	c.JSON(http.StatusOK, PruneResponse{Removed: n, OlderThan: olderThan.String()})
}

func intQuery(c *gin.Context, name string, def, lo, hi int) (int, bool) {
	raw := c.Query(name)
	if raw == "" {
		return def, true
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		abort(c, http.StatusBadRequest, "invalid_field", name+" must be a whole number from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi), name)
		return 0, false
	}
	return n, true
}

func jsonLine(v any) []byte {
	b, _ := json.Marshal(v)
	return append(b, '\n')
}
