package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/core/jobs"
)

// followPoll is how often a followed log checks for new lines.
const followPoll = 300 * time.Millisecond

// jobLogs serves a job's log as text (one line per entry) or, with ?format=json, as JSON.
// ?follow=1 keeps the response open and streams new lines until the job ends.
func (h *handlers) jobLogs(c *gin.Context) {
	id := c.Param("id")
	asJSON := c.Query("format") == "json"
	follow := c.Query("follow") == "1" || c.Query("follow") == "true"
	lines, err := h.Jobs.Logs(id, 0)
	if err != nil {
		jobError(c, err)
		return
	}
	if asJSON && !follow {
		if lines == nil {
			lines = []jobs.LogLine{}
		}
		c.JSON(http.StatusOK, JobLogLines{JobID: id, Lines: lines})
		return
	}
	if asJSON {
		c.Header("Content-Type", "application/x-ndjson")
	} else {
		c.Header("Content-Type", "text/plain; charset=utf-8")
	}
	c.Status(http.StatusOK)
	var last uint64
	write := func(ls []jobs.LogLine) {
		var b strings.Builder
		for _, l := range ls {
			if asJSON {
				b.Write(jsonLine(l))
			} else {
				b.WriteString(l.String() + "\n")
			}
			last = l.Seq
		}
		c.Writer.WriteString(b.String())
		c.Writer.Flush()
	}
	write(lines)
	if !follow {
		return
	}
	for {
		select {
		case <-c.Request.Context().Done():
			return
		case <-time.After(followPoll):
		}
		j, err := h.Jobs.Get(id)
		if err != nil {
			return
		}
		more, err := h.Jobs.Logs(id, last)
		if err != nil {
			return
		}
		write(more)
		if j.Status.Terminal() && len(more) == 0 {
			return
		}
	}
}
