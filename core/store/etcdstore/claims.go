package etcdstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hypersdk/hypersdk/core/store"
)

// Node is this daemon's membership in the cluster: a lease kept alive while the daemon runs,
// its record under nodes/<id> and its claims under claims/<job id>, all attached to the lease.
// When the daemon dies (or is cut off) for longer than the TTL, etcd expires the lease and
// deletes the record and the claims with it: another node may then claim the jobs, and the
// old claims' tokens no longer match, so late writes of this node are refused.
type Node struct {
	s    *Store
	info store.Node
	ttl  time.Duration

	mu     sync.Mutex
	lease  clientv3.LeaseID
	onLost []func()

	keepCtx context.Context // ends when the node stops renewing its lease (Close, Abandon)
	stop    context.CancelFunc
	done    chan struct{}
}

var _ store.Claimer = (*Node)(nil)

// Join grants the node's lease, records the node and keeps the lease alive until Close. A
// node id already alive in the cluster is refused: two daemons under one name would share
// claims.
func Join(ctx context.Context, s *Store, info store.Node, ttl time.Duration) (*Node, error) {
	if info.ID == "" || strings.ContainsAny(info.ID, "/ ") {
		return nil, fmt.Errorf("join cluster: node id %q must be non-empty, without / or spaces", info.ID)
	}
	if info.StartedAt.IsZero() {
		info.StartedAt = time.Now().UTC()
	}
	n := &Node{s: s, info: info, ttl: ttl, done: make(chan struct{})}
	// A node restarted right after it was killed finds its old record until the old lease
	// expires: wait that out rather than fail.
	deadline := time.Now().Add(ttl + time.Second)
	for {
		err := n.register(ctx)
		if err == nil {
			break
		}
		if !errors.Is(err, errNodeAlive) || time.Now().After(deadline) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("join cluster as %s: %w", info.ID, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	keepCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	n.keepCtx, n.stop = keepCtx, stop
	go n.keepAlive(keepCtx)
	return n, nil
}

// errNodeAlive means a node of the same id holds a live lease.
var errNodeAlive = errors.New("a node of that id is alive")

// register grants a lease and writes the node record under it.
func (n *Node) register(ctx context.Context) error {
	cctx, cancel := n.s.op(ctx)
	defer cancel()
	secs := int64(max(n.ttl/time.Second, 1))
	lease, err := n.s.cli.Grant(cctx, secs)
	if err != nil {
		return fmt.Errorf("join cluster as %s: grant a %ds lease: %w", n.info.ID, secs, err)
	}
	raw, err := json.Marshal(n.info)
	if err != nil {
		return fmt.Errorf("join cluster as %s: %w", n.info.ID, err)
	}
	key := n.s.key("nodes", n.info.ID)
	resp, err := n.s.cli.Txn(cctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, string(raw), clientv3.WithLease(lease.ID))).Commit()
	if err != nil {
		return fmt.Errorf("join cluster as %s: %w", n.info.ID, err)
	}
	if !resp.Succeeded {
		n.s.cli.Revoke(cctx, lease.ID) // best effort: it expires on its own anyway
		return fmt.Errorf("join cluster as %s: %w (database.etcd.node_id must differ per node)", n.info.ID, errNodeAlive)
	}
	n.mu.Lock()
	n.lease = lease.ID
	n.mu.Unlock()
	return nil
}

// keepAlive renews the lease; when the lease is lost anyway (the cluster unreachable longer
// than the TTL), the claims made under it are gone: the node joins again under a new lease,
// and its running jobs find their writes fenced.
func (n *Node) keepAlive(ctx context.Context) {
	defer close(n.done)
	for ctx.Err() == nil {
		n.mu.Lock()
		lease := n.lease
		n.mu.Unlock()
		ch, err := n.s.cli.KeepAlive(ctx, lease)
		if err == nil {
			for range ch {
			}
		}
		if ctx.Err() != nil {
			return
		}
		n.mu.Lock()
		lost := append([]func(){}, n.onLost...)
		n.mu.Unlock()
		for _, f := range lost {
			f()
		}
		for ctx.Err() == nil {
			if err := n.register(ctx); err == nil {
				break
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// OnLeaseLost registers f to run when the node's lease has ended while the node runs (the
// cluster unreachable for longer than the TTL): every claim made under it is gone, so the
// jobs it ran must stop here.
func (n *Node) OnLeaseLost(f func()) {
	n.mu.Lock()
	n.onLost = append(n.onLost, f)
	n.mu.Unlock()
}

// Lease is the node's current lease.
func (n *Node) Lease() clientv3.LeaseID {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lease
}

// NodeID names the node.
func (n *Node) NodeID() string { return n.info.ID }

// LeaseTTL is the lease's time to live.
func (n *Node) LeaseTTL() time.Duration { return n.ttl }

// ClaimJob puts claims/<job id> under the node's lease if no claim is there; the token is the
// claim key's create revision, unique for every claim ever made. A claim this node holds
// already is returned as it is.
func (n *Node) ClaimJob(ctx context.Context, jobID string) (int64, error) {
	key := n.s.claimKey(jobID)
	cctx, cancel := n.s.op(ctx)
	defer cancel()
	resp, err := n.s.cli.Txn(cctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, n.info.ID, clientv3.WithLease(n.Lease()))).
		Else(clientv3.OpGet(key)).Commit()
	if err != nil {
		return 0, fmt.Errorf("claim job %s: %w", jobID, err)
	}
	if resp.Succeeded {
		return resp.Header.Revision, nil
	}
	kvs := resp.Responses[0].GetResponseRange().Kvs
	if len(kvs) > 0 && string(kvs[0].Value) == n.info.ID && clientv3.LeaseID(kvs[0].Lease) == n.Lease() {
		return kvs[0].CreateRevision, nil
	}
	holder := "?"
	if len(kvs) > 0 {
		holder = string(kvs[0].Value)
	}
	return 0, fmt.Errorf("claim job %s: held by node %s: %w", jobID, holder, store.ErrClaimed)
}

// ReleaseJob deletes the claim if it is still the one of token.
func (n *Node) ReleaseJob(ctx context.Context, jobID string, token int64) error {
	key := n.s.claimKey(jobID)
	cctx, cancel := n.s.op(ctx)
	defer cancel()
	_, err := n.s.cli.Txn(cctx).If(clientv3.Compare(clientv3.CreateRevision(key), "=", token)).
		Then(clientv3.OpDelete(key)).Commit()
	if err != nil {
		return fmt.Errorf("release the claim on job %s: %w", jobID, err)
	}
	return nil
}

// JobHolder reads who holds a job's claim.
func (n *Node) JobHolder(ctx context.Context, jobID string) (string, error) {
	cctx, cancel := n.s.op(ctx)
	defer cancel()
	resp, err := n.s.cli.Get(cctx, n.s.claimKey(jobID))
	if err != nil {
		return "", fmt.Errorf("read the claim on job %s: %w", jobID, err)
	}
	if len(resp.Kvs) == 0 {
		return "", nil
	}
	return string(resp.Kvs[0].Value), nil
}

// Nodes lists the node records alive now.
func (n *Node) Nodes(ctx context.Context) ([]store.Node, error) {
	var out []store.Node
	err := n.s.scan(ctx, n.s.key("nodes")+"/", func(k string, v []byte) error {
		var nd store.Node
		if err := json.Unmarshal(v, &nd); err != nil {
			return fmt.Errorf("node record %s: %w", k, err)
		}
		out = append(out, nd)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list cluster nodes: %w", err)
	}
	return out, nil
}

// Close stops renewing the lease and revokes it, so the node's claims go at once (a clean
// stop need not wait for the TTL).
func (n *Node) Close() error {
	n.stop()
	<-n.done
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := n.s.cli.Revoke(ctx, n.Lease()); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("leave cluster as %s: %w", n.info.ID, err)
	}
	return nil
}

// Abandon stops renewing the lease without revoking it: the node's claims stay until the TTL
// runs out, as when the daemon is killed. For tests of a node's death.
func (n *Node) Abandon() {
	n.stop()
	<-n.done
}
