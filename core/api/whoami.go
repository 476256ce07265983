package api

import (
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/core/auth"
)

// WhoAmI is GET /auth/whoami: who the caller is, and which of the routes that need more than
// the viewer role its role may call, so a client (the dashboard, a script) offers only what
// will not answer 403.
type WhoAmI struct {
	Name        string `json:"name"`
	Role        string `json:"role"`
	AuthEnabled bool   `json:"auth_enabled"`
	// Allowed lists "METHOD /path" as /openapi.json writes the paths ("POST /jobs/cancel/{id}").
	Allowed []string `json:"allowed"`
}

func (h *handlers) whoAmI(c *gin.Context) {
	id := auth.Identity{Name: "anonymous", Role: auth.Admin}
	if v, ok := c.Get(identityKey); ok {
		id = v.(auth.Identity)
	}
	out := WhoAmI{Name: id.Name, Role: id.Role.String(), AuthEnabled: h.Auth != nil && h.Auth.Enabled, Allowed: allowedRoutes(id.Role)}
	c.JSON(http.StatusOK, out)
}

// checkedInHandler are routes whose handler, not routeRoles, asks for more than viewer.
var checkedInHandler = map[string]auth.Role{"GET /webhooks": auth.Admin}

// allowedRoutes are the routes of routeRoles (and checkedInHandler) that role may call, sorted.
func allowedRoutes(role auth.Role) []string {
	out := []string{}
	for route, need := range merged(routeRoles, checkedInHandler) {
		if role >= need {
			method, path, _ := strings.Cut(route, " ")
			out = append(out, method+" "+openAPIPath(path))
		}
	}
	sort.Strings(out)
	return out
}

func merged(maps ...map[string]auth.Role) map[string]auth.Role {
	out := map[string]auth.Role{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
