// Package audit keeps the persisted, queryable record of every mutating API request: who made
// it, what it was, when, its outcome and its request id. Entries hold no request bodies, so no
// secret can reach them.
package audit

import (
	"context"
	"encoding/json"
	"time"

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
type Log struct{ store store.AuditStore }

// New returns the audit log kept in s.
func New(s store.AuditStore) *Log { return &Log{store: s} }

// Append records one entry.
func (l *Log) Append(e Entry) error {
	return l.store.AppendAudit(context.Background(), func(seq uint64) ([]byte, error) {
		e.Seq = seq
		return json.Marshal(e)
	})
}

// List returns entries newest first, skipping offset and returning at most limit, and the total.
func (l *Log) List(limit, offset int) ([]Entry, int, error) {
	var out []Entry
	total, err := l.store.AuditPage(context.Background(), offset, max(limit, 1), func(raw []byte) error {
		var e Entry
		if err := json.Unmarshal(raw, &e); err == nil && limit > 0 { // limit 0 asks for the total alone
			out = append(out, e)
		}
		return nil
	})
	return out, total, err
}
