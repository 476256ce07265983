// Package api is hypervisord's REST surface on Gin: routes, request and response types, and the
// JSON error envelope. Handlers translate HTTP to calls on the services in Deps and back; the
// work itself lives in the packages behind those services.
package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hypersdk/hypersdk/core/audit"
	"github.com/hypersdk/hypersdk/core/auth"
	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/handoff"
	"github.com/hypersdk/hypersdk/core/hosttools"
	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/metrics"
	"github.com/hypersdk/hypersdk/core/scheduler"
	"github.com/hypersdk/hypersdk/core/webhooks"
)

// Deps is everything the handlers call.
type Deps struct {
	Log          hclog.Logger
	Version      string
	StartedAt    time.Time
	MaxBodyBytes int64
	Tools        *hosttools.Detector
	Hyper2KVM    handoff.Host // hyper2kvm's version and the state of its daemon-mode instances
	Providers    Providers
	Jobs         *jobs.Manager
	Bus          *events.Bus
	Webhooks     *webhooks.Dispatcher
	Scheduler    *scheduler.Scheduler
	Auth         *auth.Authenticator
	Audit        *audit.Log
	FileRoots    []string // directories request paths may name: export.base_path, hyper2kvm.output_dir
	// Listen is the address the server listens on (after the port was chosen); with
	// AllowedHosts and AllowedOrigins (daemon.allowed_*) it says which Host and Origin
	// headers are answered.
	Listen         string
	AllowedHosts   []string
	AllowedOrigins []string
	// TrustedProxies (daemon.trusted_proxies) are the only peers whose X-Forwarded-For and
	// X-Real-IP name the client, for rate limits and the audit log.
	TrustedProxies []string
}

// Handler is the API: the Gin engine behind a path normaliser.
type Handler struct{ *gin.Engine }

// ServeHTTP routes /jobs/ as /jobs: every route answers the same with or without a trailing
// slash, where Gin would answer 301 with an HTML body.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
		r.URL.Path = "/" + strings.Trim(p, "/")
		r.URL.RawPath = ""
	}
	h.Engine.ServeHTTP(w, r)
}

// New builds the HTTP handler with every route of the API.
func New(d Deps) *Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false // ServeHTTP has removed it; never answer with an HTML redirect
	r.RedirectFixedPath = false
	r.ContextWithFallback = true
	if err := r.SetTrustedProxies(d.TrustedProxies); err != nil {
		// config validation rejects such entries before this; should one slip through,
		// trusting no one is the safe reading
		d.Log.Error("daemon.trusted_proxies is invalid; trusting no proxy", "error", err)
		_ = r.SetTrustedProxies(nil)
	}
	r.Use(requestID(), accessLog(d.Log), recoverPanics(d.Log), limitBody(d.MaxBodyBytes), auditMutations(d.Audit),
		checkSite(newSitePolicy(d.Listen, d.AllowedHosts, d.AllowedOrigins)), authenticate(d.Auth), requireJSON())
	r.NoRoute(func(c *gin.Context) {
		abort(c, http.StatusNotFound, "not_found", "no such endpoint: "+c.Request.Method+" "+c.Request.URL.Path, "")
	})
	r.NoMethod(func(c *gin.Context) {
		abort(c, http.StatusMethodNotAllowed, "method_not_allowed", c.Request.Method+" is not allowed on "+c.Request.URL.Path, "")
	})

	h := &handlers{Deps: d}
	r.GET("/health", h.health)
	r.GET("/capabilities", h.capabilities)
	r.GET("/cluster/nodes", h.clusterNodes)
	r.POST("/vms/list", h.listVMs)
	r.GET("/vms/info", h.vmInfo)
	r.POST("/jobs/submit", h.submitJobs)
	r.GET("/jobs/query", h.queryJob)
	r.GET("/jobs", h.listJobs)
	r.GET("/jobs/summary", h.jobSummary)
	r.POST("/jobs/retry/:id", h.retryJob)
	r.GET("/auth/whoami", h.whoAmI)
	r.GET("/jobs/progress/:id", h.jobProgress)
	r.GET("/jobs/eta/:id", h.jobETA)
	r.GET("/jobs/logs/:id", h.jobLogs)
	r.POST("/jobs/cancel/:id", h.cancelJob)
	r.POST("/jobs/prune", h.pruneJobs)
	r.GET("/websocket", h.websocket)
	r.POST("/convert", h.convert)
	r.POST("/import-to-kvm", h.importToKVM)
	r.GET("/parse-vmdk", h.parseVMDK)
	r.POST("/schedules/create", h.createSchedule)
	r.GET("/schedules", h.listSchedules)
	r.GET("/schedules/:id", h.getSchedule)
	r.PUT("/schedules/:id", h.updateSchedule)
	r.DELETE("/schedules/:id", h.deleteSchedule)
	r.POST("/schedules/:id/pause", h.pauseSchedule(true))
	r.POST("/schedules/:id/resume", h.pauseSchedule(false))
	r.POST("/schedules/:id/run", h.runSchedule)
	r.POST("/backup-policies/create", h.createPolicy)
	r.GET("/backup-policies", h.listPolicies)
	r.GET("/backup-policies/:id", h.getPolicy)
	r.DELETE("/backup-policies/:id", h.deletePolicy)
	r.POST("/backup-policies/:id/run", h.runPolicy)
	r.GET("/audit", h.listAudit)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{})))
	r.GET("/openapi.json", h.openAPI)
	r.POST("/webhooks/configure", h.configureWebhook)
	r.GET("/webhooks", h.listWebhooks)
	r.DELETE("/webhooks/:id", h.deleteWebhook)
	mountUI(r, d)
	return &Handler{Engine: r}
}

type handlers struct {
	Deps
}
