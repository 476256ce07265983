package azure

import (
	"context"
	"fmt"
	"strings"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

var _ provider.Releaser = (*Provider)(nil)

// Release undoes one of the holds ExportVM recorded, from its Data alone, so a plugin started
// after a crash releases what the dead one held: a grant is revoked, a snapshot deleted (its
// grant revoked first), a stopped VM started. What is gone already (404) is released.
func (p *Provider) Release(ctx context.Context, h provider.Hold) error {
	d, err := decodeHoldData(h)
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	c, s, t, err := p.configured()
	if err != nil {
		return err
	}
	if !strings.EqualFold(d.Subscription, s.SubscriptionID) {
		return fmt.Errorf("%w: hold %s/%s was made in subscription %s and this provider works in %s: release it with the provider instance that made it",
			provider.ErrInvalidArgument, h.Kind, h.ID, d.Subscription, s.SubscriptionID)
	}
	log := provider.Logger(ctx).With("kind", h.Kind, "id", h.ID)
	switch h.Kind {
	case provider.HoldGrant:
		if err := revoke(ctx, c, t, d); err != nil {
			return err
		}
		log.Info("read grant revoked")
	case provider.HoldSnapshot:
		if err := revoke(ctx, c, t, d); err != nil {
			return err
		}
		poller, err := c.snapshots.BeginDelete(ctx, d.ResourceGroup, d.Snapshot, nil)
		if err == nil {
			_, err = await(ctx, poller, t.pollInterval, func(float64) {})
		}
		if err != nil && !notFound(err) {
			return armError("delete snapshot "+d.Snapshot, err)
		}
		log.Info("snapshot deleted")
	case provider.HoldPower:
		return p.releasePower(ctx, c, t, d)
	default:
		return fmt.Errorf("release %s/%s: %w: azure makes only snapshot, grant and power holds", h.Kind, h.ID, provider.ErrUnsupported)
	}
	return nil
}

// revoke ends the read grant on the hold's snapshot; a snapshot that is gone has none.
func revoke(ctx context.Context, c *clients, t tuned, d holdData) error {
	poller, err := c.snapshots.BeginRevokeAccess(ctx, d.ResourceGroup, d.Snapshot, nil)
	if err == nil {
		_, err = await(ctx, poller, t.pollInterval, func(float64) {})
	}
	if err != nil && !notFound(err) {
		return armError("revoke the read grant on snapshot "+d.Snapshot, err)
	}
	return nil
}
