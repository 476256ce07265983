package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// HealthResponse is the seed's {"status":"healthy","version":"…"} plus uptime.
type HealthResponse struct {
	Status        string  `json:"status"`
	Version       string  `json:"version"`
	UptimeSeconds float64 `json:"uptime_seconds"`
}

func (h *handlers) health(c *gin.Context) {
	c.JSON(http.StatusOK, HealthResponse{
		Status:        "healthy",
		Version:       h.Version,
		UptimeSeconds: time.Since(h.StartedAt).Round(time.Millisecond).Seconds(),
	})
}
