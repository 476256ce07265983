package plugin

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

func TestSentinelsCrossTheWire(t *testing.T) {
	t.Parallel()
	sentinels := []error{provider.ErrNotFound, provider.ErrUnsupported, provider.ErrAuth, provider.ErrInvalidArgument,
		provider.ErrNotConfigured, provider.ErrUnavailable, context.Canceled, context.DeadlineExceeded}
	for _, s := range sentinels {
		sent := fmt.Errorf("get vm-7 from vcenter: %w", s)
		got := fromStatus(toStatus(sent))
		if !errors.Is(got, s) {
			t.Errorf("%v: after the wire errors.Is fails: %v", s, got)
		}
		if got.Error() != sent.Error() {
			t.Errorf("message changed: %q → %q", sent, got)
		}
	}
	plain := fromStatus(toStatus(errors.New("boom")))
	for _, s := range sentinels {
		if errors.Is(plain, s) {
			t.Errorf("plain error became %v", s)
		}
	}
	if toStatus(nil) != nil || fromStatus(nil) != nil {
		t.Error("nil did not stay nil")
	}
}
