package api

import (
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/core/audit"
	"github.com/hypersdk/hypersdk/core/auth"
)

const identityKey = "identity"

// routeRoles says which role each non-read route needs; every other GET (and POST /vms/list,
// which only reads) needs viewer, and the publicRoutes (/health, /openapi.json) need nothing.
var routeRoles = map[string]auth.Role{
	"POST /jobs/submit":             auth.Operator,
	"POST /jobs/cancel/:id":         auth.Operator,
	"POST /jobs/retry/:id":          auth.Operator,
	"POST /convert":                 auth.Operator,
	"POST /import-to-kvm":           auth.Operator,
	"POST /schedules/:id/run":       auth.Operator,
	"POST /backup-policies/:id/run": auth.Operator,
	"POST /webhooks/configure":      auth.Admin,
	"DELETE /webhooks/:id":          auth.Admin,
	"POST /jobs/prune":              auth.Admin, // deletes job history
	"POST /schedules/create":        auth.Admin,
	"PUT /schedules/:id":            auth.Admin,
	"DELETE /schedules/:id":         auth.Admin,
	"POST /schedules/:id/pause":     auth.Admin,
	"POST /schedules/:id/resume":    auth.Admin,
	"POST /backup-policies/create":  auth.Admin,
	"DELETE /backup-policies/:id":   auth.Admin,
	"GET /audit":                    auth.Admin,
}

func requiredRole(method, route string) auth.Role {
	if r, ok := routeRoles[method+" "+route]; ok {
		return r
	}
	return auth.Viewer
}

// authenticate identifies the caller (401 without a valid token, 403 when the role is too low)
// and applies the caller's rate limit (429). With auth disabled everyone is an anonymous admin,
// still rate-limited by address when a limit is configured.
func authenticate(a *auth.Authenticator) gin.HandlerFunc {
	return func(c *gin.Context) {
		if publicRoutes[c.Request.Method+" "+c.FullPath()] {
			c.Next()
			return
		}
		id := auth.Identity{Name: "anonymous", Role: auth.Admin}
		if a.Enabled {
			token := strings.TrimPrefix(c.GetHeader("Authorization"), "Bearer ")
			if token == "" && c.FullPath() == "/websocket" {
				token = c.Query("access_token") // browsers cannot set headers on a WebSocket
			}
			found, ok := a.Identify(token)
			if token == "" || !ok {
				c.Header("WWW-Authenticate", `Bearer realm="hypervisord"`)
				abort(c, http.StatusUnauthorized, "unauthenticated", "a valid bearer token is required (Authorization: Bearer <token>)", "")
				return
			}
			id = found
		}
		c.Set(identityKey, id)
		key := id.Name
		if !a.Enabled {
			key = rateKey(c.ClientIP())
		}
		if ok, wait := a.Allow(key, time.Now()); !ok {
			c.Header("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			abort(c, http.StatusTooManyRequests, "rate_limited", "too many requests from "+key+"; retry after "+wait.Round(time.Millisecond).String(), "")
			return
		}
		if need := requiredRole(c.Request.Method, c.FullPath()); id.Role < need {
			abort(c, http.StatusForbidden, "forbidden", id.Name+" has role "+id.Role.String()+"; this needs "+need.String(), "")
			return
		}
		c.Next()
	}
}

// rateKey is whom an anonymous request is counted against: its address, or for IPv6 its /64,
// since one host commonly holds a whole /64 and could otherwise mint a fresh budget per request.
func rateKey(ip string) string {
	addr, err := netip.ParseAddr(ip)
	if err != nil || !addr.Is6() || addr.Is4In6() {
		return ip
	}
	prefix, _ := addr.Prefix(64)
	return prefix.String()
}

// auditMutations records every request that could change something, whatever its outcome.
func auditMutations(log *audit.Log) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Next()
		if c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead || c.Request.Method == http.MethodOptions {
			return
		}
		e := audit.Entry{Time: time.Now().UTC(), Who: "unauthenticated", Method: c.Request.Method, Path: c.Request.URL.Path,
			Status: c.Writer.Status(), RequestID: c.GetString(requestIDKey), Remote: c.ClientIP()}
		if v, ok := c.Get(identityKey); ok {
			id := v.(auth.Identity)
			e.Who, e.Role = id.Name, id.Role.String()
		}
		_ = log.Append(e)
	}
}

func (h *handlers) listAudit(c *gin.Context) {
	limit, ok := intQuery(c, "limit", 100, 1, 1000)
	if !ok {
		return
	}
	offset, ok := intQuery(c, "offset", 0, 0, 1<<31)
	if !ok {
		return
	}
	entries, total, err := h.Audit.List(limit, offset)
	if err != nil {
		abort(c, http.StatusInternalServerError, "internal", err.Error(), "")
		return
	}
	if entries == nil {
		entries = []audit.Entry{}
	}
	c.JSON(http.StatusOK, AuditList{Entries: entries, Total: total, Limit: limit, Offset: offset})
}
