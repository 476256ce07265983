// Package store is hypervisord's persistence: everything the daemon has accepted, so a restart
// (or a crash) loses nothing. Other core packages keep their records through the typed Backend
// interface (backend.go); nobody else opens the file or the cluster. Store is the embedded
// default, one bbolt file; package etcdstore keeps the same in an etcd cluster that several
// daemons share.
//
// Bucket layout (schema version 2):
//
//	root
//	├── meta
//	│   ├── schema_version   → "2"  (a newer number refuses to open: see ErrNewerSchema)
//	│   └── created_at       → RFC 3339 time the file was created
//	├── jobs                 → job id → job record (JSON)
//	├── job_index            → kept with each job write (PutJob, DeleteJob; see jobindex.go)
//	│   ├── entries          → job id → created_at ns, finished_at ns (0 = not ended), status
//	│   ├── by_created       → 8-byte created_at ns + job id → nil: GET /jobs pages, newest first
//	│   ├── by_status
//	│   │   └── <status>     → nested bucket: created_at ns + job id → nil: GET /jobs?status=
//	│   ├── by_finished      → 8-byte finished_at ns + job id → nil: ended jobs, oldest first (retention)
//	│   └── counts           → status → 8-byte big-endian count of jobs in it (/metrics)
//	├── job_logs
//	│   └── <job id>         → nested bucket: 8-byte big-endian sequence → log line (JSON)
//	├── schedules            → schedule id → schedule record (JSON)
//	├── policies             → backup policy id → policy record (JSON)
//	├── webhooks             → webhook id → webhook record (JSON)
//	├── webhook_deliveries   → webhook id → how its latest delivery attempt went (JSON; core/webhooks)
//	├── end_events           → job id → its end event not yet on the bus (JSON; core/jobs)
//	├── outbox               → 8-byte sequence → pending webhook delivery (JSON)
//	└── audit                → 8-byte sequence → audit entry (JSON): who, what, when, outcome
package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SchemaVersion is the layout this build writes and understands. Version 2 added job_index.
const SchemaVersion = 2

// Bucket names, in the order drawn above.
var (
	bucketMeta      = []byte("meta")
	BucketJobs      = []byte("jobs")
	BucketJobLogs   = []byte("job_logs")
	BucketSchedules = []byte("schedules")
	BucketPolicies  = []byte("policies")
	BucketWebhooks  = []byte("webhooks")
	BucketDelivered = []byte("webhook_deliveries")
	BucketEndEvents = []byte("end_events")
	BucketOutbox    = []byte("outbox")
	BucketAudit     = []byte("audit")

	keySchemaVersion = []byte("schema_version")
	keyCreatedAt     = []byte("created_at")
)

var (
	// ErrLocked means another process holds the database file.
	ErrLocked = errors.New("database is locked by another hypervisord")
	// ErrNewerSchema means the file was written by a newer hypervisord than this one.
	ErrNewerSchema = errors.New("database was written by a newer hypervisord")
)

// lockWait is how long Open waits for another process's lock before giving up; short, because
// a second daemon should fail fast rather than hang until the first one stops.
const lockWait = 500 * time.Millisecond

// Store is the open database.
type Store struct {
	db   *bolt.DB
	path string
}

// Open opens (creating if needed) the database at path, creates every bucket and checks the schema.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockWait})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("open database %s: %w", path, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	s := &Store{db: db, path: path}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return s, nil
}

func (s *Store) init() error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		if raw := meta.Get(keySchemaVersion); raw != nil {
			v, err := strconv.Atoi(string(raw))
			if err != nil {
				return fmt.Errorf("schema_version %q is not a number", raw)
			}
			if v > SchemaVersion {
				return fmt.Errorf("%w: schema %d, this build understands up to %d; upgrade hypervisord or restore a backup", ErrNewerSchema, v, SchemaVersion)
			}
		} else if err := meta.Put(keyCreatedAt, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
			return err
		}
		for _, b := range [][]byte{BucketJobs, BucketJobLogs, BucketSchedules, BucketPolicies, BucketWebhooks, BucketDelivered, BucketOutbox, BucketAudit, BucketEndEvents} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return fmt.Errorf("create bucket %s: %w", b, err)
			}
		}
		// Schema 1 → 2: the job index, built once from the job records.
		if err := createJobIndex(tx); err != nil {
			return fmt.Errorf("migrate to schema 2: %w", err)
		}
		return meta.Put(keySchemaVersion, []byte(strconv.Itoa(SchemaVersion)))
	})
}

// Path is the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Close releases the file lock.
func (s *Store) Close() error { return s.db.Close() }

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(*bolt.Tx) error) error { return s.db.View(fn) }

// Update runs fn in a read-write transaction, committed (and fsynced) when fn returns nil.
func (s *Store) Update(fn func(*bolt.Tx) error) error { return s.db.Update(fn) }

// SchemaVersion reads the version recorded in the file.
func (s *Store) SchemaVersion() (int, error) {
	var v int
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		v, err = strconv.Atoi(string(tx.Bucket(bucketMeta).Get(keySchemaVersion)))
		return err
	})
	return v, err
}

// SeqKey encodes a bucket sequence number as a big-endian key, so keys sort in sequence order.
func SeqKey(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}
