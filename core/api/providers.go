package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/core/pluginhost"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Providers is what the API needs of the plugin host.
type Providers interface {
	Provider(name string) (provider.Provider, error)
	Statuses() []pluginhost.Status
}

// providerError writes the envelope for an error that came from (or on the way to) a provider.
func providerError(c *gin.Context, err error, field string) {
	status, code := http.StatusInternalServerError, "provider_error"
	switch {
	case errors.Is(err, pluginhost.ErrUnknownProvider):
		status, code = http.StatusNotFound, "unknown_provider"
	case errors.Is(err, provider.ErrNotFound):
		status, code = http.StatusNotFound, "not_found"
	case errors.Is(err, provider.ErrInvalidArgument):
		status, code = http.StatusBadRequest, "invalid_argument"
	case errors.Is(err, provider.ErrUnsupported):
		status, code = http.StatusNotImplemented, "unsupported"
	case errors.Is(err, provider.ErrAuth):
		status, code = http.StatusBadGateway, "provider_auth_failed"
	case errors.Is(err, provider.ErrPluginExited):
		status, code = http.StatusServiceUnavailable, "plugin_exited"
	case errors.Is(err, provider.ErrUnavailable), errors.Is(err, provider.ErrNotConfigured):
		status, code = http.StatusServiceUnavailable, "provider_unavailable"
	case errors.Is(err, context.DeadlineExceeded):
		status, code = http.StatusGatewayTimeout, "provider_timeout"
	}
	abort(c, status, code, err.Error(), field)
}
