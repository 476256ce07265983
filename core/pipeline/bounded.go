package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// bounded runs phase with a deadline d (none when d is 0); an error after the deadline says
// which bound it ran into.
func bounded(ctx context.Context, d time.Duration, cause error, phase func(context.Context) error) error {
	if d <= 0 {
		return phase(ctx)
	}
	ctx, stop := context.WithTimeoutCause(ctx, d, cause)
	defer stop()
	err := phase(ctx)
	if err != nil && errors.Is(context.Cause(ctx), cause) {
		return fmt.Errorf("%w (after %s): %w", cause, d, err)
	}
	return err
}
