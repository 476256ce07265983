package api

import (
	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/core/ui"
)

// uiRoutes serve the dashboard's page and assets. They are no part of the API (the OpenAPI
// description leaves them out) and answer without a token: they hold no data, and the page asks
// for a token before it calls the API.
var uiRoutes = []string{ui.Prefix, ui.Prefix + "/*asset"}

// mountUI serves the embedded dashboard at /ui/ (core/ui says how it is cached).
func mountUI(r *gin.Engine, d Deps) {
	site, err := ui.New()
	if err != nil {
		// the assets are compiled in: this is a broken build, and the API still serves
		d.Log.Error("the dashboard cannot be served", "error", err)
		return
	}
	g := r.Group(ui.Prefix)
	g.GET("", gin.WrapH(site))
	g.GET("/*asset", gin.WrapH(site))
}
