package etcdstore

import (
	"context"
	"time"

	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/hypersdk/hypersdk/core/store"
)

var _ store.Elector = (*Node)(nil)

// Lead campaigns for duty under the node's lease (etcd's election recipe, keys under
// elections/<duty>/): the node whose key is oldest leads. fn runs while this node leads and
// its context ends with the lease; then the node campaigns again. A dead node's lease expires
// within the TTL and the next candidate leads.
func (n *Node) Lead(ctx context.Context, duty string, fn func(ctx context.Context)) {
	for ctx.Err() == nil {
		if !n.leadOnce(ctx, duty, fn) {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// leadOnce campaigns once and runs fn while elected; false when it could not campaign.
func (n *Node) leadOnce(ctx context.Context, duty string, fn func(ctx context.Context)) bool {
	// The session shares the node's lease; it is orphaned, never closed, as closing would
	// revoke the lease and every claim under it. Its keep-alives end with the node's.
	session, err := concurrency.NewSession(n.s.cli, concurrency.WithLease(n.Lease()), concurrency.WithContext(n.keepCtx))
	if err != nil {
		return false
	}
	defer session.Orphan()
	election := concurrency.NewElection(session, n.s.key("elections", duty))
	campaign, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		select {
		case <-session.Done(): // lease gone: stop campaigning or leading
		case <-campaign.Done():
		}
		stop()
	}()
	if err := election.Campaign(campaign, n.info.ID); err != nil {
		return ctx.Err() == nil && session.Ctx().Err() == nil
	}
	fn(campaign)
	resign, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	election.Resign(resign) // best effort: the key goes with the lease anyway
	return true
}
