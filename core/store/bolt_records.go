package store

import (
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// collectionBuckets maps each Collection to its bucket in the file.
var collectionBuckets = map[Collection][]byte{Schedules: BucketSchedules, Policies: BucketPolicies, Webhooks: BucketWebhooks, WebhookDeliveries: BucketDelivered, EndEvents: BucketEndEvents}

func collectionBucket(tx *bolt.Tx, c Collection) (*bolt.Bucket, error) {
	name, ok := collectionBuckets[c]
	if !ok {
		return nil, fmt.Errorf("no collection %q", c)
	}
	return tx.Bucket(name), nil
}

// GetRecord returns one record of c.
func (s *Store) GetRecord(_ context.Context, c Collection, id string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		b, err := collectionBucket(tx, c)
		if err != nil {
			return err
		}
		raw := b.Get([]byte(id))
		if raw == nil {
			return fmt.Errorf("%s %s: %w", c, id, ErrNotFound)
		}
		out = append([]byte(nil), raw...)
		return nil
	})
	return out, err
}

// PutRecord writes one record of c.
func (s *Store) PutRecord(_ context.Context, c Collection, id string, raw []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := collectionBucket(tx, c)
		if err != nil {
			return err
		}
		return b.Put([]byte(id), raw)
	})
}

// UpdateRecord reads, changes and writes one record in a transaction.
func (s *Store) UpdateRecord(_ context.Context, c Collection, id string, change func([]byte) ([]byte, error)) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := collectionBucket(tx, c)
		if err != nil {
			return err
		}
		raw := b.Get([]byte(id))
		if raw == nil {
			return fmt.Errorf("%s %s: %w", c, id, ErrNotFound)
		}
		out, err := change(append([]byte(nil), raw...))
		if err != nil {
			return err
		}
		return b.Put([]byte(id), out)
	})
}

// DeleteRecord removes one record of c.
func (s *Store) DeleteRecord(_ context.Context, c Collection, id string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b, err := collectionBucket(tx, c)
		if err != nil {
			return err
		}
		if b.Get([]byte(id)) == nil {
			return fmt.Errorf("%s %s: %w", c, id, ErrNotFound)
		}
		return b.Delete([]byte(id))
	})
}

// ListRecords walks c in id order.
func (s *Store) ListRecords(_ context.Context, c Collection, fn func(string, []byte) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		b, err := collectionBucket(tx, c)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error { return fn(string(k), v) })
	})
}

// AddDeliveries numbers and stores n deliveries in one transaction.
func (s *Store) AddDeliveries(_ context.Context, n int, encode func(int, uint64) ([]byte, error)) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(BucketOutbox)
		for i := 0; i < n; i++ {
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			raw, err := encode(i, seq)
			if err != nil {
				return err
			}
			if err := b.Put(SeqKey(seq), raw); err != nil {
				return err
			}
		}
		return nil
	})
}

// ForEachDelivery walks the outbox in sequence order.
func (s *Store) ForEachDelivery(_ context.Context, fn func(uint64, []byte) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(BucketOutbox).ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return nil
			}
			return fn(seqOf(k), v)
		})
	})
}

// PutDelivery rewrites one delivery.
func (s *Store) PutDelivery(_ context.Context, seq uint64, raw []byte) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(BucketOutbox).Put(SeqKey(seq), raw) })
}

// DeleteDelivery removes one delivery.
func (s *Store) DeleteDelivery(_ context.Context, seq uint64) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(BucketOutbox).Delete(SeqKey(seq)) })
}

// AppendAudit numbers and stores one audit entry.
func (s *Store) AppendAudit(_ context.Context, encode func(uint64) ([]byte, error)) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(BucketAudit)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		raw, err := encode(seq)
		if err != nil {
			return err
		}
		return b.Put(SeqKey(seq), raw)
	})
}

// AuditPage walks the audit log from its newest entry.
func (s *Store) AuditPage(_ context.Context, offset, limit int, fn func([]byte) error) (int, error) {
	total := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(BucketAudit)
		total = b.Stats().KeyN
		c := b.Cursor()
		skipped, seen := 0, 0
		for k, v := c.Last(); k != nil && (limit <= 0 || seen < limit); k, v = c.Prev() {
			if skipped < offset {
				skipped++
				continue
			}
			if err := fn(v); err != nil {
				return err
			}
			seen++
		}
		return nil
	})
	return total, err
}

// seqOf decodes a SeqKey.
func seqOf(k []byte) uint64 { return binary.BigEndian.Uint64(k) }
