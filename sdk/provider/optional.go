package provider

import (
	"context"
	"fmt"
)

// PowerController is an optional capability: change a VM's power state. The host type-asserts
// for it; a provider without it answers "unsupported" through UnsupportedPower.
type PowerController interface {
	SetPowerState(ctx context.Context, id, state string) error
}

// UnsupportedPower can be embedded by a provider that has no power control, so the host's
// type assertion succeeds and callers get a helpful ErrUnsupported.
type UnsupportedPower struct{}

// SetPowerState always fails with ErrUnsupported.
func (UnsupportedPower) SetPowerState(context.Context, string, string) error {
	return fmt.Errorf("set power state: %w", ErrUnsupported)
}
