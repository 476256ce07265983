package etcdstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Budgets are export.source_budgets across the cluster: a semaphore per source in etcd. A job
// that wants a slot puts budgets/<source>/<job id> under its node's lease; it holds a slot
// while its key is among the source's limit oldest keys (by create revision), so slots go in
// the order they were asked for. Releasing deletes the key; a dead node's keys go with its
// lease, freeing its slots within the TTL.
type Budgets struct {
	n      *Node
	limits map[string]int
}

// Budgets returns the cluster-wide budgets of limits (source → exports at once).
func (n *Node) Budgets(limits map[string]int) *Budgets { return &Budgets{n: n, limits: limits} }

// Acquire waits until the job holds one of source's slots.
func (b *Budgets) Acquire(ctx context.Context, source, jobID string) (func(), error) {
	limit, ok := b.limits[source]
	if !ok {
		return func() {}, nil
	}
	prefix := b.n.s.key("budgets", source) + "/"
	key := prefix + jobID
	cctx, cancel := b.n.s.op(ctx)
	put, err := b.n.s.cli.Put(cctx, key, b.n.info.ID, clientv3.WithLease(b.n.Lease()))
	cancel()
	if err != nil {
		return nil, fmt.Errorf("ask for a slot of %s: %w", source, err)
	}
	mine := put.Header.Revision
	var once sync.Once
	release := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			b.n.s.cli.Delete(ctx, key) // if this fails the slot is freed with the node's lease
		})
	}
	for {
		cctx, cancel := b.n.s.op(ctx)
		resp, err := b.n.s.cli.Get(cctx, prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly(),
			clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend), clientv3.WithLimit(int64(limit)))
		cancel()
		if err != nil {
			release()
			return nil, fmt.Errorf("wait for a slot of %s: %w", source, err)
		}
		for _, kv := range resp.Kvs {
			if string(kv.Key) == key {
				return release, nil
			}
		}
		// Not yet: wait for a key to go (a slot freed), or look again in a while in case our
		// own key went with a lease that was lost meanwhile.
		wctx, stop := context.WithTimeout(ctx, b.n.ttl)
		watch := b.n.s.cli.Watch(wctx, prefix, clientv3.WithPrefix(), clientv3.WithRev(max(resp.Header.Revision, mine)+1), clientv3.WithFilterPut())
		select {
		case <-watch:
		case <-wctx.Done():
		}
		stop()
		if ctx.Err() != nil {
			release()
			return nil, context.Cause(ctx)
		}
		if lost, err := b.keyGone(ctx, key); err == nil && lost {
			cctx, cancel := b.n.s.op(ctx)
			_, err := b.n.s.cli.Put(cctx, key, b.n.info.ID, clientv3.WithLease(b.n.Lease()))
			cancel()
			if err != nil {
				return nil, fmt.Errorf("ask again for a slot of %s: %w", source, err)
			}
		}
	}
}

func (b *Budgets) keyGone(ctx context.Context, key string) (bool, error) {
	cctx, cancel := b.n.s.op(ctx)
	defer cancel()
	resp, err := b.n.s.cli.Get(cctx, key, clientv3.WithCountOnly())
	if err != nil {
		return false, err
	}
	return resp.Count == 0, nil
}
