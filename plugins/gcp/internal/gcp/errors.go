package gcp

import (
	"errors"
	"fmt"
	"net/http"

	"cloud.google.com/go/storage"
	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/api/googleapi"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// httpCode is the HTTP status of a Google API error, or 0 for another error.
func httpCode(err error) int {
	var ae *apierror.APIError
	if errors.As(err, &ae) && ae.HTTPCode() > 0 {
		return ae.HTTPCode()
	}
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	if errors.Is(err, storage.ErrObjectNotExist) || errors.Is(err, storage.ErrBucketNotExist) {
		return http.StatusNotFound
	}
	return 0
}

// isNotFound says whether err is the API's 404.
func isNotFound(err error) bool { return httpCode(err) == http.StatusNotFound }

// apiError wraps err with what was being done and the sentinel its HTTP status maps to, so
// the host can tell a missing VM, a refused credential and an outage apart.
func apiError(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	var sentinel error
	switch code := httpCode(err); {
	case code == http.StatusNotFound:
		sentinel = provider.ErrNotFound
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		sentinel = provider.ErrAuth
	case code == http.StatusBadRequest || code == http.StatusConflict:
		sentinel = provider.ErrInvalidArgument
	case code == http.StatusTooManyRequests || code >= 500:
		sentinel = provider.ErrUnavailable
	default:
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s: %w: %w", what, sentinel, err)
}
