package awsprovider

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// AWS error codes the provider tells apart.
var (
	notFoundCodes = map[string]bool{
		"InvalidInstanceID.NotFound": true, "InvalidInstanceID.Malformed": true,
		"InvalidSnapshot.NotFound": true, "InvalidSnapshotID.Malformed": true, "InvalidVolume.NotFound": true,
		"ResourceNotFoundException": true,
	}
	authCodes = map[string]bool{
		"AuthFailure": true, "UnauthorizedOperation": true, "InvalidClientTokenId": true,
		"SignatureDoesNotMatch": true, "AccessDeniedException": true, "AccessDenied": true,
		"ExpiredToken": true, "ExpiredTokenException": true, "OptInRequired": true,
	}
	throttleCodes = map[string]bool{
		"RequestLimitExceeded": true, "Throttling": true, "ThrottlingException": true,
		"RequestThrottledException": true, "ServiceQuotaExceededException": true,
		"ConcurrentLimitExceededException": true,
	}
)

// errorCode is the AWS error code of err, or "".
func errorCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

// awsError wraps an SDK error with what was being done and the sentinel the host acts on:
// not found, refused credentials, or AWS unavailable (throttling that outlasted the retries,
// the network) — which the host retries per its policy.
func awsError(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	code := errorCode(err)
	var maxAttempts *retry.MaxAttemptsError
	var netErr net.Error
	switch {
	case notFoundCodes[code]:
		return fmt.Errorf("%s: %w: %v", what, provider.ErrNotFound, err)
	case authCodes[code]:
		return fmt.Errorf("%s: %w: the credentials are refused or lack a permission: %v", what, provider.ErrAuth, err)
	case throttleCodes[code] && errors.As(err, &maxAttempts):
		return fmt.Errorf("%s: %w: AWS throttled the request through all %d attempts (raise max_attempts or lower download_workers): %v",
			what, provider.ErrUnavailable, maxAttempts.Attempt, err)
	case throttleCodes[code]:
		return fmt.Errorf("%s: %w: throttled: %v", what, provider.ErrUnavailable, err)
	case errors.As(err, &maxAttempts), errors.As(err, &netErr):
		return fmt.Errorf("%s: %w: %v", what, provider.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
