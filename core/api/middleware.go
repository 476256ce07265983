package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/metrics"
)

const (
	requestIDKey    = "request_id"
	requestIDHeader = "X-Request-ID"
)

var clientRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestID takes a sane X-Request-ID from the client or makes one, and echoes it back, so a
// user can quote it and we can find every log line of that request.
func requestID() gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(requestIDHeader)
		if !clientRequestID.MatchString(id) {
			var b [8]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(requestIDKey, id)
		c.Header(requestIDHeader, id)
		c.Next()
	}
}

// accessLog writes one line per request. Query strings stay out of it: they may carry secrets.
func accessLog(log hclog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := hclog.Debug
		if status >= 500 {
			level = hclog.Error
		} else if status >= 400 {
			level = hclog.Info
		}
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		metrics.HTTPRequests.WithLabelValues(c.Request.Method, route, strconv.Itoa(status)).Inc()
		metrics.HTTPLatency.WithLabelValues(c.Request.Method, route).Observe(time.Since(start).Seconds())
		log.Log(level, "request", "method", c.Request.Method, "path", c.Request.URL.Path,
			"status", status, "duration_ms", time.Since(start).Milliseconds(), "request_id", c.GetString(requestIDKey))
	}
}

// recoverPanics turns a handler panic into a 500 envelope and a log line, and keeps serving.
func recoverPanics(log hclog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				log.Error("handler panic", "path", c.Request.URL.Path, "panic", fmt.Sprint(v), "request_id", c.GetString(requestIDKey))
				abort(c, http.StatusInternalServerError, "internal", "internal error; see the daemon log for request "+c.GetString(requestIDKey), "")
			}
		}()
		c.Next()
	}
}

// limitBody caps every request body; decodeJSON turns the overflow into a 413.
func limitBody(max int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > max {
			abort(c, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("request body is larger than %d bytes", max), "")
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, max)
		c.Next()
	}
}
