package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/core/jobs"
)

// JobSummary is GET /jobs/summary: what a migration wave looks like right now, in one call
// whose cost does not grow with the jobs kept (the counts come from the store's index).
type JobSummary struct {
	// ByStatus counts every stored job per status.
	ByStatus map[string]int `json:"by_status"`
	// ThroughputBps is the sum of the running jobs' current throughput.
	ThroughputBps float64 `json:"throughput_bps"`
	// FailedLastDay counts the jobs created in the last 24 hours that failed.
	FailedLastDay int `json:"failed_last_day"`
	// RecentFailures are the newest failed jobs (at most 5).
	RecentFailures []FailedJob `json:"recent_failures"`
	// UnreleasedHolds counts what providers made for jobs and that is not released yet
	// (/capabilities has them per provider, each job's holds say which).
	UnreleasedHolds int       `json:"unreleased_holds"`
	At              time.Time `json:"at"`
}

// FailedJob is a failed job in brief.
type FailedJob struct {
	JobID      string     `json:"job_id"`
	VM         string     `json:"vm_identifier,omitempty"`
	Provider   string     `json:"provider,omitempty"`
	Error      string     `json:"error"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// summaryPage is how many jobs one read of the failed list decodes.
const summaryPage = 200

func (h *handlers) jobSummary(c *gin.Context) {
	now := time.Now().UTC()
	out := JobSummary{ByStatus: map[string]int{}, RecentFailures: []FailedJob{}, At: now}
	for s, n := range h.Jobs.CountByStatus() {
		out.ByStatus[s] = int(n)
	}
	running, _, err := h.Jobs.List(jobs.ListOptions{Status: jobs.StatusRunning, Limit: 1000})
	if err != nil {
		jobError(c, err)
		return
	}
	for _, r := range running {
		if live, err := h.Jobs.Get(r.ID); err == nil && live.Status == jobs.StatusRunning {
			out.ThroughputBps += live.Progress.ThroughputBps
		}
	}
	since := now.Add(-24 * time.Hour)
	for offset := 0; ; offset += summaryPage {
		page, total, err := h.Jobs.List(jobs.ListOptions{Status: jobs.StatusFailed, Limit: summaryPage, Offset: offset})
		if err != nil {
			jobError(c, err)
			return
		}
		older := false
		for _, j := range page {
			if len(out.RecentFailures) < 5 {
				out.RecentFailures = append(out.RecentFailures, FailedJob{JobID: j.ID, VM: j.Spec.VMIdentifier, Provider: j.Spec.Provider, Error: j.Error, FinishedAt: j.FinishedAt})
			}
			if j.CreatedAt.Before(since) { // the list is newest first: the rest are older still
				older = true
				break
			}
			out.FailedLastDay++
		}
		if older || offset+len(page) >= total || len(page) == 0 {
			break
		}
	}
	for _, n := range h.Jobs.UnreleasedHoldsByProvider() {
		out.UnreleasedHolds += n
	}
	c.JSON(http.StatusOK, out)
}
