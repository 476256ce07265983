package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// armError says what a failed Azure call means for the host: the sentinel its status maps to,
// with what was being done and Azure's own error code and message. Throttling (429) has been
// retried by then, honouring Retry-After, max_retries times.
func armError(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	var auth *azidentity.AuthenticationFailedError
	if errors.As(err, &auth) {
		return fmt.Errorf("%s: %w: %v", what, provider.ErrAuth, err)
	}
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return fmt.Errorf("%s: %w", what, err)
	}
	msg := fmt.Sprintf("%s: Azure answered %d %s", what, re.StatusCode, re.ErrorCode)
	switch re.StatusCode {
	case http.StatusNotFound:
		return fmt.Errorf("%s: %w", msg, provider.ErrNotFound)
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("%s: %w (check the credential and its role assignments)", msg, provider.ErrAuth)
	case http.StatusBadRequest:
		return fmt.Errorf("%s: %w: %v", msg, provider.ErrInvalidArgument, err)
	case http.StatusTooManyRequests:
		return fmt.Errorf("%s: %w: throttled, and still throttled after the retries (max_retries) that honoured Retry-After", msg, provider.ErrUnavailable)
	case http.StatusServiceUnavailable, http.StatusBadGateway, http.StatusGatewayTimeout, http.StatusInternalServerError:
		return fmt.Errorf("%s: %w: %v", msg, provider.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", msg, err)
}

// notFound reports whether err is Azure's 404.
func notFound(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusNotFound
}
