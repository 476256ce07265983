package provider

import (
	"context"
	"fmt"
)

// Hold kinds: what a provider created or changed outside the job directory. Any string is
// accepted; these are the ones the shipped providers use, so the API and metrics read alike.
const (
	HoldSnapshot = "snapshot" // a disk or VM snapshot
	HoldGrant    = "grant"    // a SAS grant, a pre-authenticated request: access that locks or exposes a disk
	HoldImage    = "image"    // an export image or AMI
	HoldObject   = "object"   // an object written to a bucket or container
	HoldPower    = "power"    // a VM powered off for the export; releasing powers it back on
	HoldLease    = "lease"    // an export lease (vSphere's NFC lease); releasing aborts it
	HoldOther    = "other"
)

// Bounds on what a provider hands the host to store: a hold's data and a checkpoint are kept in
// the job record, so they must stay small (an id, a URL, per-disk offsets — never disk data).
const (
	MaxHoldDataBytes   = 16 << 10
	MaxCheckpointBytes = 64 << 10
)

// Hold is one thing outside the job directory that must be undone when the export is over: a
// snapshot to delete, a grant to revoke, a VM to power back on. The provider records it through
// Reporter.Hold before creating it; the host stores it and, when the job's export ends by any
// road (success, failure, cancel, a daemon killed -9), hands it back to Releaser.Release.
type Hold struct {
	Kind string `json:"kind"`
	// ID is unique among the provider's holds of one job; recording the same ID again replaces it.
	ID          string `json:"id"`
	Description string `json:"description,omitempty"`
	// Data is the provider's own note of what Release needs (a region, a disk name); the host
	// stores it and never shows it, as it may name secrets.
	Data []byte `json:"data,omitempty"`
}

// Validate checks a hold before it is stored.
func (h Hold) Validate() error {
	switch {
	case h.Kind == "":
		return fmt.Errorf("%w: hold has no kind", ErrInvalidArgument)
	case h.ID == "":
		return fmt.Errorf("%w: hold of kind %s has no id", ErrInvalidArgument, h.Kind)
	case len(h.Data) > MaxHoldDataBytes:
		return fmt.Errorf("%w: hold %s/%s carries %d bytes of data, more than %d", ErrInvalidArgument, h.Kind, h.ID, len(h.Data), MaxHoldDataBytes)
	}
	return nil
}

// Releaser is the optional capability of a provider that records holds: undo one. Release
// must be idempotent — a hold already gone (deleted by the provider itself, by an earlier
// release that the host did not hear back from) is released, not an error. The host retries a
// failed release with backoff until it succeeds.
type Releaser interface {
	Release(ctx context.Context, h Hold) error
}
