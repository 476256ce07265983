package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/store"
)

// Jobs in a cluster (Config.Cluster set: several daemons on one etcd store). Every node queues
// every pending job; a worker runs one only once it holds the job's claim (store.Claimer), and
// every write of the job while it runs carries the claim's token (jobWrite's Fence), so a node
// whose lease expired cannot overwrite a job another node took over: its write fails with
// store.ErrFenced and its run stops (errFenced). Each node sweeps the store every third of the
// lease TTL: a running job nobody holds belonged to a node that died; the sweeping node claims
// it, records the interrupted attempt as a single node's restart would (recoverInterrupted),
// keeps its holds for the retry and queues it: the retry resumes from the job's last
// acknowledged checkpoint on the holds the dead node recorded.

// errFenced is the cause a run is stopped with when this node lost its claim on the job.
var errFenced = errors.New("this node's claim on the job ended (its lease expired); another node resumes the job")

// NodeID names this node in its cluster, "" for a single daemon.
func (m *Manager) NodeID() string {
	if m.cfg.Cluster == nil {
		return ""
	}
	return m.cfg.Cluster.NodeID()
}

// claimToken is this node's claim on a job, 0 when it holds none.
func (m *Manager) claimToken(id string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.claims[id]
}

// claim takes a job for this node; false when another node holds it or the store failed.
func (m *Manager) claim(ctx context.Context, id string) (int64, bool) {
	token, err := m.cfg.Cluster.ClaimJob(ctx, id)
	if err != nil {
		if !errors.Is(err, store.ErrClaimed) {
			m.log.Error("cannot claim job", "job_id", id, "error", err)
		}
		return 0, false
	}
	m.mu.Lock()
	m.claims[id] = token
	m.mu.Unlock()
	return token, true
}

// unclaim lets go of this node's claim on a job.
func (m *Manager) unclaim(id string, token int64) {
	m.mu.Lock()
	delete(m.claims, id)
	m.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.cfg.Cluster.ReleaseJob(ctx, id, token); err != nil {
		// It goes with the node's lease at the latest.
		m.log.Warn("cannot release the claim on a job", "job_id", id, "error", err)
	}
}

// runDequeued runs a job taken from the queue: at once on a single daemon, in a cluster only
// under this node's claim.
func (m *Manager) runDequeued(ctx context.Context, id string) {
	if m.cfg.Cluster == nil {
		m.execute(ctx, id)
		return
	}
	if m.liveRun(id) != nil {
		return
	}
	token, ok := m.claim(ctx, id)
	if !ok {
		return
	}
	defer m.unclaim(id, token)
	m.execute(ctx, id)
}

// fencedOut stops a job's run on this node once a write of it was refused as fenced.
func (m *Manager) fencedOut(id string, err error) {
	if !errors.Is(err, store.ErrFenced) {
		return
	}
	m.log.Warn("this node lost its claim on a job; stopping it here", "job_id", id)
	if r := m.liveRun(id); r != nil {
		r.cancel(errFenced)
	}
}

// adopt takes over a running job whose node is gone: claimed here, its attempt recorded as
// interrupted, queued again with its holds (or failed, with them released, when it has no
// retry left).
func (m *Manager) adopt(ctx context.Context, id string) {
	token, ok := m.claim(ctx, id)
	if !ok {
		return
	}
	// Its end event is noted before the update that may end it (end_events.go): a job whose
	// attempts are used up fails here. The claim keeps every other writer off the job, so a
	// note that turns out needless is cleared below without clearing anyone else's.
	m.markEnding(id, events.JobFailed, "")
	j, err := m.update(id, func(j *Job) error {
		if j.Status != StatusRunning {
			return errStale
		}
		m.recoverInterrupted(j)
		return nil
	})
	m.unclaim(id, token)
	if err != nil || !j.Status.Terminal() {
		m.endPublished(id)
	}
	if err != nil {
		if !errors.Is(err, errStale) {
			m.log.Error("cannot take over the job of a lost node", "job_id", id, "error", err)
		}
		return
	}
	m.log.Warn("took over the job of a node that stopped answering", "job_id", id, "status", j.Status, "attempts", j.Attempts)
	switch {
	case j.Status == StatusPending:
		if hasUnreleased(j.Holds) {
			m.holdGates.pin(id) // its retry resumes on them; released when it ends
		}
		m.enqueue(id)
	case j.Status.Terminal():
		if hasUnreleased(j.Holds) {
			m.releaseHolds(id, false)
		}
		m.publishEnd(j, events.JobFailed, j.Error)
	}
}

// sweepCluster, every third of the lease TTL, adopts the running jobs no node holds and queues
// the pending jobs this node does not have queued (accepted by another node), until ctx ends.
func (m *Manager) sweepCluster(ctx context.Context) {
	if m.cfg.Cluster == nil {
		return
	}
	m.cfg.Cluster.OnLeaseLost(m.stopClaimedRuns)
	every := max(m.cfg.Cluster.LeaseTTL()/3, 200*time.Millisecond)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			m.sweepOnce(ctx)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

func (m *Manager) sweepOnce(ctx context.Context) {
	m.resendEndEvents(ctx, m.endEventGrace())
	for _, status := range []Status{StatusRunning, StatusPending} {
		var ids []string
		_, err := m.store.JobPage(ctx, string(status), 0, 0, func(raw []byte) error {
			j, err := decodeJob("", raw)
			if err != nil {
				return err
			}
			ids = append(ids, j.ID)
			return nil
		})
		if err != nil {
			if ctx.Err() == nil {
				m.log.Error("cannot read the cluster's jobs", "status", status, "error", err)
			}
			return
		}
		for _, id := range ids {
			if ctx.Err() != nil {
				return
			}
			if m.liveRun(id) != nil || m.claimToken(id) != 0 {
				continue
			}
			if status == StatusPending {
				m.enqueueOnce(id)
				continue
			}
			holder, err := m.cfg.Cluster.JobHolder(ctx, id)
			if err == nil && holder == "" {
				m.adopt(ctx, id)
			}
		}
	}
}

// stopClaimedRuns stops every job this node runs: its lease ended, and its claims with it.
func (m *Manager) stopClaimedRuns() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.live) > 0 {
		m.log.Error("this node's cluster lease ended; stopping the jobs it ran, other nodes resume them", "jobs", len(m.live))
	}
	for _, r := range m.live {
		r.cancel(errFenced)
	}
}

// enqueueOnce queues a job unless it is queued already.
func (m *Manager) enqueueOnce(id string) {
	m.mu.Lock()
	for _, q := range m.queue {
		if q == id {
			m.mu.Unlock()
			return
		}
	}
	m.mu.Unlock()
	m.enqueue(id)
}

// NodeStatus is one live node of the cluster and how many jobs it runs now.
type NodeStatus struct {
	store.Node
	Running int `json:"running"`
}

// ClusterNodes lists the cluster's live nodes, each with the number of jobs it runs; nil on a
// single daemon.
func (m *Manager) ClusterNodes(ctx context.Context) ([]NodeStatus, error) {
	if m.cfg.Cluster == nil {
		return nil, nil
	}
	nodes, err := m.cfg.Cluster.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	running := map[string]int{}
	_, err = m.store.JobPage(ctx, string(StatusRunning), 0, 0, func(raw []byte) error {
		j, err := decodeJob("", raw)
		if err != nil {
			return err
		}
		running[j.Node]++
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count the jobs each node runs: %w", err)
	}
	out := make([]NodeStatus, len(nodes))
	for i, n := range nodes {
		out[i] = NodeStatus{Node: n, Running: running[n.ID]}
	}
	return out, nil
}

// SubmitOnce accepts spec as the one job of key — a schedule's slot — whichever node asks and
// however often: the job's id is derived from key, and the store refuses a second job of that
// id, so a slot fired again (its firing node died before recording it, another node fired it
// again) yields the job the first firing accepted. It says whether this call accepted it.
func (m *Manager) SubmitOnce(spec Spec, scheduleID, key string) (Job, bool, error) {
	sum := sha256.Sum256([]byte(key))
	id := "job-" + hex.EncodeToString(sum[:6])
	accepted, err := m.submit([]Spec{spec}, scheduleID, []string{id})
	if errors.Is(err, store.ErrExists) {
		j, gerr := m.Get(id)
		return j, false, gerr
	}
	if err != nil {
		return Job{}, false, err
	}
	return accepted[0], true, nil
}
