// Package audit keeps the persisted, queryable record of every mutating API request: who made
// it, what it was, when, its outcome and its request id. Entries hold no request bodies, so no
// secret can reach them.
package audit

import (
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hypersdk/hypersdk/core/store"
)

// Entry is one audited request.
type Entry struct {
	Seq       uint64    `json:"seq"`
	Time      time.Time `json:"time"`
	Who       string    `json:"who"`
	Role      string    `json:"role"`
	Method    string    `json:"method"`
	Path      string    `json:"path"`
	Status    int       `json:"status"`
	RequestID string    `json:"request_id"`
	Remote    string    `json:"remote"`
}

// Log appends entries to the store.
type Log struct{ store *store.Store }

// New returns the audit log of s.
func New(s *store.Store) *Log { return &Log{store: s} }

// Append records one entry.
func (l *Log) Append(e Entry) error {
	return l.store.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(store.BucketAudit)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		e.Seq = seq
		raw, err := json.Marshal(e)
		if err != nil {
			return err
		}
		return b.Put(store.SeqKey(seq), raw)
	})
}

// List returns entries newest first, skipping offset and returning at most limit, and the total.
func (l *Log) List(limit, offset int) ([]Entry, int, error) {
	var out []Entry
	total := 0
	err := l.store.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(store.BucketAudit)
		total = b.Stats().KeyN
		c := b.Cursor()
		skipped := 0
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			if skipped < offset {
				skipped++
				continue
			}
			var e Entry
			if err := json.Unmarshal(v, &e); err == nil {
				out = append(out, e)
			}
		}
		return nil
	})
	return out, total, err
}
