package webhooks

import (
	"context"
	"time"

	"github.com/hypersdk/hypersdk/core/store"
)

// clusterWait bounds the delivery loop's sleep in a cluster: deliveries another node put in
// the shared outbox do not wake this node's loop, so the elected node reads the outbox again
// this often.
const clusterWait = time.Second

// LeadWith makes the dispatcher deliver only while this node is the one elected for it
// (database.backend etcd): every node records its events' deliveries in the shared outbox,
// one node sends them, so each event reaches each hook once, not once per node. A delivery
// in flight when the elected node dies is sent again by the next one (at least once). Call it
// before Start.
func (d *Dispatcher) LeadWith(e store.Elector) { d.elector = e }

// runDelivery runs the delivery loop: always on a single daemon, while elected in a cluster.
func (d *Dispatcher) runDelivery(ctx context.Context) {
	defer d.wg.Done()
	if d.elector == nil {
		d.deliverLoop(ctx)
		return
	}
	d.elector.Lead(ctx, "webhooks", func(ctx context.Context) {
		d.log.Info("this node delivers the cluster's webhooks")
		d.deliverLoop(ctx)
	})
}

func (d *Dispatcher) maxWait() time.Duration {
	if d.elector != nil {
		return clusterWait
	}
	return time.Minute
}
