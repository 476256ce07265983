package store

import (
	"context"
	"errors"
	"time"
)

// Backend is everything the daemon persists, whichever engine keeps it: the embedded bbolt
// file (Store, the default) or an etcd cluster shared by several nodes (package etcdstore).
// Callers hold a Backend, never an engine's transaction; each method is atomic on its own.
// Both implementations pass the same conformance suite (package storetest).
//
// A job's holds and checkpoints are fields of its record, so they are written (and fenced)
// with it; nothing else keeps them.
type Backend interface {
	JobStore
	JobLogStore
	RecordStore
	OutboxStore
	AuditStore
	// Describe names the engine and where it keeps the data ("bbolt /var/lib/…/hypersdk.db").
	Describe() string
	Close() error
}

var (
	// ErrNotFound means no record has that id.
	ErrNotFound = errors.New("not found")
	// ErrExists means a record created anew already has an id stored.
	ErrExists = errors.New("already exists")
	// ErrFenced means a job write carried a claim token that no longer holds the job: the
	// node lost its lease, and another node may run the job now.
	ErrFenced = errors.New("job claim lost")
)

// JobWrite is one job record with what the index keeps of it.
type JobWrite struct {
	Entry  JobEntry
	Record []byte
	// Fence, when not zero, is the token of the claim the writer holds on the job (Claimer);
	// the write fails with ErrFenced unless that claim still stands. The bbolt store, which one
	// daemon owns, has no claims and ignores it.
	Fence int64
}

// JobStore keeps job records (with their holds and checkpoints) and the index that pages,
// counts and expires them.
type JobStore interface {
	// GetJob returns a job's record, or ErrNotFound.
	GetJob(ctx context.Context, id string) ([]byte, error)
	// CreateJobs stores new jobs, all or none; an id already stored is ErrExists.
	CreateJobs(ctx context.Context, jobs []JobWrite) error
	// PutJob writes a job record, new or not.
	PutJob(ctx context.Context, w JobWrite) error
	// UpdateJob reads a job, lets change decide its new record and writes it, atomically: a
	// concurrent write of the job in between makes the backend read and call change again.
	// An error from change is returned as it is and nothing is written.
	UpdateJob(ctx context.Context, id string, change func(record []byte) (JobWrite, error)) error
	// DeleteJobs removes jobs with their index entries and logs, and says how many existed.
	DeleteJobs(ctx context.Context, ids []string) (int, error)
	// ForEachJob calls fn with every job, in id order.
	ForEachJob(ctx context.Context, fn func(id string, record []byte) error) error
	// JobPage calls fn with the records of the jobs in status ("" for all), newest first,
	// skipping offset of them and stopping after limit (0: no limit), and returns how many
	// there are in all.
	JobPage(ctx context.Context, status string, offset, limit int, fn func(record []byte) error) (int, error)
	// JobCounts returns how many jobs are stored in each status.
	JobCounts(ctx context.Context) (map[string]uint64, error)
	// FinishedBefore returns the ids of up to max jobs that ended before cutoff, oldest first.
	FinishedBefore(ctx context.Context, cutoff time.Time, max int) ([]string, error)
}

// LogAppend is one log line to add to a job's log; Encode is given the line's sequence number
// (1, 2, … within the job) and returns the stored line.
type LogAppend struct {
	JobID  string
	Encode func(seq uint64) ([]byte, error)
}

// JobLogStore keeps each job's log lines in order.
type JobLogStore interface {
	// AppendJobLogs adds lines to their jobs' logs; a line of a job not stored (deleted by
	// retention meanwhile) is dropped.
	AppendJobLogs(ctx context.Context, lines []LogAppend) error
	// JobLogs calls fn with a job's lines numbered above after, in order.
	JobLogs(ctx context.Context, jobID string, after uint64, fn func(seq uint64, line []byte) error) error
}

// Collection names a set of records kept by id.
type Collection string

// The record collections.
const (
	Schedules Collection = "schedules"
	Policies  Collection = "policies"
	Webhooks  Collection = "webhooks"
	// WebhookDeliveries is how each hook's latest delivery attempt went (core/webhooks), by hook id.
	WebhookDeliveries Collection = "webhook_deliveries"
	// EndEvents are jobs' end events not yet handed to the event bus (core/jobs), by job id.
	EndEvents Collection = "end_events"
)

// Collections lists every Collection, for copying a store whole.
var Collections = []Collection{Schedules, Policies, Webhooks, WebhookDeliveries, EndEvents}

// RecordStore keeps schedules, backup policies and API-added webhooks, each by id.
type RecordStore interface {
	// GetRecord returns a record, or ErrNotFound.
	GetRecord(ctx context.Context, c Collection, id string) ([]byte, error)
	// PutRecord writes a record, new or not.
	PutRecord(ctx context.Context, c Collection, id string, raw []byte) error
	// UpdateRecord reads, changes and writes a record atomically (ErrNotFound when absent).
	UpdateRecord(ctx context.Context, c Collection, id string, change func(raw []byte) ([]byte, error)) error
	// DeleteRecord removes a record (ErrNotFound when absent).
	DeleteRecord(ctx context.Context, c Collection, id string) error
	// ListRecords calls fn with every record of c, in id order.
	ListRecords(ctx context.Context, c Collection, fn func(id string, raw []byte) error) error
}

// OutboxStore keeps the webhook deliveries not yet made, by a sequence number that orders them.
type OutboxStore interface {
	// AddDeliveries stores n deliveries, all or none; encode is given the i-th one's sequence.
	AddDeliveries(ctx context.Context, n int, encode func(i int, seq uint64) ([]byte, error)) error
	// ForEachDelivery calls fn with every delivery, in sequence order.
	ForEachDelivery(ctx context.Context, fn func(seq uint64, raw []byte) error) error
	// PutDelivery rewrites a delivery (its attempts, its next time).
	PutDelivery(ctx context.Context, seq uint64, raw []byte) error
	// DeleteDelivery removes a delivery; removing one that is gone is not an error.
	DeleteDelivery(ctx context.Context, seq uint64) error
}

// AuditStore keeps the audit log, numbered in the order entries were appended.
type AuditStore interface {
	// AppendAudit stores one entry; encode is given its sequence number.
	AppendAudit(ctx context.Context, encode func(seq uint64) ([]byte, error)) error
	// AuditPage calls fn with entries newest first, skipping offset and stopping after limit,
	// and returns how many there are in all.
	AuditPage(ctx context.Context, offset, limit int, fn func(raw []byte) error) (int, error)
}
