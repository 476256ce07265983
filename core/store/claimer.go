package store

import (
	"context"
	"errors"
	"time"
)

// ErrClaimed means another live node holds the claim on a job.
var ErrClaimed = errors.New("job is claimed by another node")

// Claimer is this node's part in a store several nodes share (etcd): a job runs on the one
// node that claimed it, under that node's lease. The claim's token is the JobWrite.Fence of
// every write of the job while it runs, so a node whose lease expired (paused, partitioned,
// dead) cannot overwrite the job after another node claimed it. The bbolt store has no
// Claimer: its one daemon owns every job.
type Claimer interface {
	// NodeID names this node.
	NodeID() string
	// ClaimJob claims a job for this node and returns the claim's fencing token;
	// ErrClaimed when another node holds it.
	ClaimJob(ctx context.Context, jobID string) (int64, error)
	// ReleaseJob drops this node's claim with token; a claim already gone is not an error.
	ReleaseJob(ctx context.Context, jobID string, token int64) error
	// JobHolder names the node that holds a job's claim, "" when none does.
	JobHolder(ctx context.Context, jobID string) (string, error)
	// Nodes lists the nodes alive now.
	Nodes(ctx context.Context) ([]Node, error)
	// LeaseTTL is how long a silent node keeps its claims.
	LeaseTTL() time.Duration
	// OnLeaseLost registers f to run when this node's lease ended while it ran: its claims
	// are gone, and another node may run its jobs already.
	OnLeaseLost(f func())
}

// Node is one daemon in a cluster.
type Node struct {
	ID        string    `json:"id"`
	Address   string    `json:"address,omitempty"`
	StartedAt time.Time `json:"started_at"`
}

// Elector elects one node of a cluster for a duty that must run once cluster-wide (firing
// schedules, delivering webhooks).
type Elector interface {
	// Lead runs fn whenever this node is the one elected for duty, with a context that ends
	// when it is no longer (its lease lost), until ctx ends. It blocks.
	Lead(ctx context.Context, duty string, fn func(ctx context.Context))
}
