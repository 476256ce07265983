package gcp

import (
	"context"
	"fmt"
	"strings"
	"time"

	compute "cloud.google.com/go/compute/apiv1"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// waitOp polls a Compute Engine operation (zonal or global) until it is DONE, calling seen with
// each state of it, and turns an error the operation ended with into a Go error naming it.
// compute.Operation.Wait would do, but it backs off from a second up to a minute and shows no
// progress; this polls every interval and passes the operation's own progress on.
func waitOp(ctx context.Context, op *compute.Operation, interval time.Duration, what string, seen func(percent float64)) error {
	for {
		pr := op.Proto()
		if seen != nil {
			seen(float64(pr.GetProgress()))
		}
		if op.Done() {
			if errs := pr.GetError().GetErrors(); len(errs) > 0 {
				e := errs[0]
				return fmt.Errorf("%s: operation %s failed: %w: %s: %s", what, op.Name(), opSentinel(e.GetCode()), e.GetCode(), e.GetMessage())
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: waiting for operation %s: %w", what, op.Name(), ctx.Err())
		case <-time.After(interval):
		}
		if err := op.Poll(ctx); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("%s: waiting for operation %s: %w", what, op.Name(), ctx.Err())
			}
			return apiError(err, "%s: operation %s", what, op.Name())
		}
	}
}

// opSentinel maps an operation error code (RESOURCE_NOT_FOUND, QUOTA_EXCEEDED…) to a sentinel.
func opSentinel(code string) error {
	switch {
	case strings.Contains(code, "NOT_FOUND"):
		return provider.ErrNotFound
	case strings.Contains(code, "PERMISSION") || strings.Contains(code, "FORBIDDEN"):
		return provider.ErrAuth
	case strings.Contains(code, "QUOTA") || strings.Contains(code, "RATE_LIMIT") || strings.Contains(code, "UNAVAILABLE"):
		return provider.ErrUnavailable
	case strings.Contains(code, "INVALID") || strings.Contains(code, "ALREADY_EXISTS"):
		return provider.ErrInvalidArgument
	}
	return provider.ErrUnavailable
}
