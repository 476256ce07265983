package oci

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/oracle/oci-go-sdk/v65/common"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// httpCode is the HTTP status of an OCI service error, or 0 for another error.
func httpCode(err error) int {
	if se, ok := common.IsServiceError(err); ok {
		return se.GetHTTPStatusCode()
	}
	var st *statusError
	if errors.As(err, &st) {
		return st.code
	}
	return 0
}

// statusError is a failed response to a request the provider sent itself (object_get.go).
type statusError struct {
	code int
	body string
}

func (e *statusError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.code, e.body) }

// isNotFound says whether err is the service's 404 (NotAuthorizedOrNotFound, ObjectNotFound…).
func isNotFound(err error) bool { return httpCode(err) == http.StatusNotFound }

// apiError wraps err with what was being done and the sentinel its HTTP status maps to, so
// the host can tell a missing VM, a refused signature and an outage apart.
func apiError(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	var sentinel error
	switch code := httpCode(err); {
	case code == http.StatusNotFound:
		sentinel = provider.ErrNotFound
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		sentinel = provider.ErrAuth
	case code == http.StatusBadRequest || code == http.StatusConflict || code == http.StatusPreconditionFailed:
		sentinel = provider.ErrInvalidArgument
	case code == http.StatusTooManyRequests || code >= 500:
		sentinel = provider.ErrUnavailable
	default:
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s: %w: %w", what, sentinel, err)
}
