package scheduler

import (
	"context"
	"time"

	"github.com/hypersdk/hypersdk/core/store"
)

// clusterWait bounds the loop's sleep in a cluster: a schedule created or changed through
// another node does not wake this one's loop, so the elected node reads the schedules again
// this often.
const clusterWait = 2 * time.Second

// LeadWith makes the scheduler fire schedules and policies only while this node is the one
// elected for it (database.backend etcd: every node runs a scheduler, one fires; when it dies
// another is elected within the lease TTL). Call it before Start.
func (s *Scheduler) LeadWith(e store.Elector) { s.elector = e }

// runLoop runs the firing loop: always on a single daemon, while elected in a cluster.
func (s *Scheduler) runLoop(ctx context.Context) {
	if s.elector == nil {
		s.loop(ctx)
		return
	}
	s.elector.Lead(ctx, "scheduler", func(ctx context.Context) {
		s.log.Info("this node fires the cluster's schedules and policies")
		s.loop(ctx)
	})
}

func (s *Scheduler) maxWait() time.Duration {
	if s.elector != nil {
		return clusterWait
	}
	return maxWait
}
