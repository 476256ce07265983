package store

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The bbolt Store as a Backend: each method is one bbolt transaction over the buckets drawn in
// store.go, so the file's layout is the one earlier builds wrote. One daemon owns the file
// (its lock), so there are no claims to fence and a JobWrite's Fence is not looked at. The
// contexts are not consulted: a bbolt transaction is short and local.

var _ Backend = (*Store)(nil)

// Describe names the file.
func (s *Store) Describe() string { return "bbolt " + s.path }

// GetJob returns a job's record.
func (s *Store) GetJob(_ context.Context, id string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(BucketJobs).Get([]byte(id))
		if raw == nil {
			return fmt.Errorf("job %s: %w", id, ErrNotFound)
		}
		out = append([]byte(nil), raw...)
		return nil
	})
	return out, err
}

// CreateJobs stores new jobs in one transaction.
func (s *Store) CreateJobs(_ context.Context, jobs []JobWrite) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		for _, w := range jobs {
			if tx.Bucket(BucketJobs).Get([]byte(w.Entry.ID)) != nil {
				return fmt.Errorf("job %s: %w", w.Entry.ID, ErrExists)
			}
			if err := PutJob(tx, w.Entry, w.Record); err != nil {
				return err
			}
		}
		return nil
	})
}

// PutJob writes one job record.
func (s *Store) PutJob(_ context.Context, w JobWrite) error {
	return s.db.Update(func(tx *bolt.Tx) error { return PutJob(tx, w.Entry, w.Record) })
}

// UpdateJob reads, changes and writes a job in one transaction.
func (s *Store) UpdateJob(_ context.Context, id string, change func([]byte) (JobWrite, error)) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		raw := tx.Bucket(BucketJobs).Get([]byte(id))
		if raw == nil {
			return fmt.Errorf("job %s: %w", id, ErrNotFound)
		}
		w, err := change(append([]byte(nil), raw...))
		if err != nil {
			return err
		}
		return PutJob(tx, w.Entry, w.Record)
	})
}

// DeleteJobs removes jobs in one transaction.
func (s *Store) DeleteJobs(_ context.Context, ids []string) (int, error) {
	n := 0
	err := s.db.Update(func(tx *bolt.Tx) error {
		n = 0
		for _, id := range ids {
			ok, err := DeleteJob(tx, id)
			if err != nil {
				return err
			}
			if ok {
				n++
			}
		}
		return nil
	})
	return n, err
}

// ForEachJob calls fn with every job in id order.
func (s *Store) ForEachJob(_ context.Context, fn func(string, []byte) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(BucketJobs).ForEach(func(k, v []byte) error { return fn(string(k), v) })
	})
}

// JobPage reads one page through the job index.
func (s *Store) JobPage(_ context.Context, status string, offset, limit int, fn func([]byte) error) (int, error) {
	var total int
	err := s.db.View(func(tx *bolt.Tx) (err error) {
		total, err = JobPage(tx, status, offset, limit, fn)
		return err
	})
	return total, err
}

// JobCounts reads the index's counters.
func (s *Store) JobCounts(context.Context) (map[string]uint64, error) {
	var out map[string]uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		out = JobCounts(tx)
		return nil
	})
	return out, err
}

// FinishedBefore reads the index of ended jobs.
func (s *Store) FinishedBefore(_ context.Context, cutoff time.Time, max int) ([]string, error) {
	var ids []string
	err := s.db.View(func(tx *bolt.Tx) error {
		ids = FinishedBefore(tx, cutoff, max)
		return nil
	})
	return ids, err
}

// AppendJobLogs adds lines in one transaction, each job's log a nested bucket numbered by its
// sequence.
func (s *Store) AppendJobLogs(_ context.Context, lines []LogAppend) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		logs := tx.Bucket(BucketJobLogs)
		for _, l := range lines {
			b := logs.Bucket([]byte(l.JobID))
			if b == nil {
				if tx.Bucket(BucketJobs).Get([]byte(l.JobID)) == nil {
					continue // a line about a job retention just deleted: no log to revive
				}
				var err error
				if b, err = logs.CreateBucket([]byte(l.JobID)); err != nil {
					return fmt.Errorf("create the log of job %s: %w", l.JobID, err)
				}
			}
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			raw, err := l.Encode(seq)
			if err != nil {
				return fmt.Errorf("encode a log line of job %s: %w", l.JobID, err)
			}
			if err := b.Put(SeqKey(seq), raw); err != nil {
				return err
			}
		}
		return nil
	})
}

// JobLogs reads a job's log from after+1 on.
func (s *Store) JobLogs(_ context.Context, jobID string, after uint64, fn func(uint64, []byte) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(BucketJobLogs).Bucket([]byte(jobID))
		if b == nil {
			return nil
		}
		c := b.Cursor()
		for k, v := c.Seek(SeqKey(after + 1)); k != nil; k, v = c.Next() {
			if len(k) != 8 {
				continue
			}
			if err := fn(seqOf(k), v); err != nil {
				return err
			}
		}
		return nil
	})
}
