package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The job index (job_index in the tree at the top of store.go) is kept in the same transaction
// as the job record it describes, so GET /jobs reads one page, /metrics reads five counters and
// retention finds expired jobs oldest first, whatever the number of jobs stored.
var (
	BucketJobIndex   = []byte("job_index")
	bucketJobEntries = []byte("entries")
	bucketByCreated  = []byte("by_created")
	bucketByStatus   = []byte("by_status")
	bucketByFinished = []byte("by_finished")
	bucketJobCounts  = []byte("counts")
)

// JobEntry is what the index knows of a job: enough to order, filter, count and expire it.
type JobEntry struct {
	ID        string
	Status    string
	CreatedAt time.Time
	// FinishedAt is set once the job has ended for good (it will never change status again);
	// only such a job can expire.
	FinishedAt time.Time
}

// entryValue encodes an entry as created_at ns, finished_at ns (0 while unfinished), status.
func (e JobEntry) entryValue() []byte {
	v := make([]byte, 16, 16+len(e.Status))
	binary.BigEndian.PutUint64(v, timeKey(e.CreatedAt))
	if !e.FinishedAt.IsZero() {
		binary.BigEndian.PutUint64(v[8:], timeKey(e.FinishedAt))
	}
	return append(v, e.Status...)
}

// indexed is an entry as stored: its keys already encoded.
type indexed struct {
	created, finished []byte // 8-byte ns + job id; finished nil while unfinished
	status            string
}

func decodeEntry(id, v []byte) (indexed, error) {
	if len(v) < 16 {
		return indexed{}, fmt.Errorf("job index entry of %s is %d bytes, want at least 16", id, len(v))
	}
	out := indexed{created: orderKey(v[:8], id), status: string(v[16:])}
	if binary.BigEndian.Uint64(v[8:16]) != 0 {
		out.finished = orderKey(v[8:16], id)
	}
	return out, nil
}

// keys is e's index keys, read from its stored value as decodeEntry reads any entry back (the
// value is always 16 bytes or more, so that cannot fail).
func (e JobEntry) keys() indexed {
	k, _ := decodeEntry([]byte(e.ID), e.entryValue())
	return k
}

// timeKey is t in ns since 1970, which sorts as its big-endian bytes for every date a job has.
func timeKey(t time.Time) uint64 { return uint64(t.UnixNano()) }

// orderKey is an 8-byte time followed by the job id: unique, and sorted by time, then id.
func orderKey(ns, id []byte) []byte { return append(append(make([]byte, 0, 8+len(id)), ns...), id...) }

// PutJob writes a job record and brings the index in step with entry, in tx. Every write of a
// job record must come through here.
func PutJob(tx *bolt.Tx, e JobEntry, record []byte) error {
	id := []byte(e.ID)
	if err := tx.Bucket(BucketJobs).Put(id, record); err != nil {
		return fmt.Errorf("put job %s: %w", e.ID, err)
	}
	idx := tx.Bucket(BucketJobIndex)
	value := e.entryValue()
	old := idx.Bucket(bucketJobEntries).Get(id)
	if bytes.Equal(old, value) { // progress, stage, result: nothing the index orders by
		return nil
	}
	if old != nil {
		prev, err := decodeEntry(id, old)
		if err != nil {
			return err
		}
		if err := unindex(idx, prev); err != nil {
			return fmt.Errorf("reindex job %s: %w", e.ID, err)
		}
	}
	if err := index(idx, e.keys()); err != nil {
		return fmt.Errorf("index job %s: %w", e.ID, err)
	}
	return idx.Bucket(bucketJobEntries).Put(id, value)
}

func index(idx *bolt.Bucket, k indexed) error {
	if err := idx.Bucket(bucketByCreated).Put(k.created, nil); err != nil {
		return err
	}
	byStatus, err := idx.Bucket(bucketByStatus).CreateBucketIfNotExists([]byte(k.status))
	if err != nil {
		return err
	}
	if err := byStatus.Put(k.created, nil); err != nil {
		return err
	}
	if k.finished != nil {
		if err := idx.Bucket(bucketByFinished).Put(k.finished, nil); err != nil {
			return err
		}
	}
	return addCount(idx.Bucket(bucketJobCounts), k.status, 1)
}

func unindex(idx *bolt.Bucket, k indexed) error {
	if err := idx.Bucket(bucketByCreated).Delete(k.created); err != nil {
		return err
	}
	if byStatus := idx.Bucket(bucketByStatus).Bucket([]byte(k.status)); byStatus != nil {
		if err := byStatus.Delete(k.created); err != nil {
			return err
		}
	}
	if k.finished != nil {
		if err := idx.Bucket(bucketByFinished).Delete(k.finished); err != nil {
			return err
		}
	}
	return addCount(idx.Bucket(bucketJobCounts), k.status, -1)
}

func addCount(counts *bolt.Bucket, status string, delta int64) error {
	var n uint64
	if raw := counts.Get([]byte(status)); len(raw) == 8 {
		n = binary.BigEndian.Uint64(raw)
	}
	if delta < 0 && n == 0 {
		return fmt.Errorf("count of %s jobs would go below zero", status)
	}
	return counts.Put([]byte(status), SeqKey(uint64(int64(n)+delta)))
}

// DeleteJob removes a job's record, its index entries and its log, in tx; false when there was
// no such job.
func DeleteJob(tx *bolt.Tx, id string) (bool, error) {
	idx := tx.Bucket(BucketJobIndex)
	raw := idx.Bucket(bucketJobEntries).Get([]byte(id))
	if raw == nil {
		return false, nil
	}
	k, err := decodeEntry([]byte(id), raw)
	if err != nil {
		return false, err
	}
	if err := unindex(idx, k); err != nil {
		return false, fmt.Errorf("delete job %s: %w", id, err)
	}
	if err := idx.Bucket(bucketJobEntries).Delete([]byte(id)); err != nil {
		return false, fmt.Errorf("delete job %s: %w", id, err)
	}
	if err := tx.Bucket(BucketJobs).Delete([]byte(id)); err != nil {
		return false, fmt.Errorf("delete job %s: %w", id, err)
	}
	if err := tx.Bucket(BucketJobLogs).DeleteBucket([]byte(id)); err != nil && !errors.Is(err, bolt.ErrBucketNotFound) {
		return false, fmt.Errorf("delete the log of job %s: %w", id, err)
	}
	return true, nil
}

// JobCounts returns how many jobs are stored in each status.
func JobCounts(tx *bolt.Tx) map[string]uint64 {
	out := map[string]uint64{}
	tx.Bucket(BucketJobIndex).Bucket(bucketJobCounts).ForEach(func(k, v []byte) error {
		if len(v) == 8 {
			out[string(k)] = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	return out
}

// JobPage calls fn with the records of the jobs in status ("" for all), newest first, skipping
// offset of them and stopping after limit (0: no limit), and returns how many there are in all.
// Skipped jobs cost one key each; only the records of the page are read.
func JobPage(tx *bolt.Tx, status string, offset, limit int, fn func(record []byte) error) (int, error) {
	idx := tx.Bucket(BucketJobIndex)
	counts := JobCounts(tx)
	var total uint64
	order := idx.Bucket(bucketByCreated)
	if status != "" {
		total = counts[status]
		order = idx.Bucket(bucketByStatus).Bucket([]byte(status))
	} else {
		for _, n := range counts {
			total += n
		}
	}
	if order == nil {
		return int(total), nil
	}
	records := tx.Bucket(BucketJobs)
	c := order.Cursor()
	skipped, seen := 0, 0
	for k, _ := c.Last(); k != nil && (limit <= 0 || seen < limit); k, _ = c.Prev() {
		if skipped < offset {
			skipped++
			continue
		}
		raw := records.Get(k[8:])
		if raw == nil {
			return 0, fmt.Errorf("job %s is indexed but has no record", k[8:])
		}
		if err := fn(raw); err != nil {
			return 0, fmt.Errorf("job %s: %w", k[8:], err)
		}
		seen++
	}
	return int(total), nil
}

// FinishedBefore returns the ids of up to max jobs that finished before cutoff, oldest first.
func FinishedBefore(tx *bolt.Tx, cutoff time.Time, max int) []string {
	var ids []string
	end := SeqKey(timeKey(cutoff))
	c := tx.Bucket(BucketJobIndex).Bucket(bucketByFinished).Cursor()
	for k, _ := c.First(); k != nil && len(ids) < max && bytes.Compare(k[:8], end) < 0; k, _ = c.Next() {
		ids = append(ids, string(k[8:]))
	}
	return ids
}

// jobRecordView is the part of a job record (core/jobs.Job as JSON) the index is built from
// when a file written before the index existed is opened.
type jobRecordView struct {
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	FinishedAt *time.Time `json:"finished_at"`
}

// endedStatuses are the statuses a job never leaves (core/jobs.Status.Terminal).
var endedStatuses = map[string]bool{"completed": true, "failed": true, "cancelled": true}

// createJobIndex creates the index buckets and, when the index is new, builds it from every job
// record: once, when a schema 1 file is first opened by this build.
func createJobIndex(tx *bolt.Tx) error {
	fresh := tx.Bucket(BucketJobIndex) == nil
	idx, err := tx.CreateBucketIfNotExists(BucketJobIndex)
	if err != nil {
		return err
	}
	for _, b := range [][]byte{bucketJobEntries, bucketByCreated, bucketByStatus, bucketByFinished, bucketJobCounts} {
		if _, err := idx.CreateBucketIfNotExists(b); err != nil {
			return fmt.Errorf("create bucket %s/%s: %w", BucketJobIndex, b, err)
		}
	}
	if !fresh {
		return nil
	}
	return tx.Bucket(BucketJobs).ForEach(func(id, raw []byte) error {
		var v jobRecordView
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("index job %s: %w", id, err)
		}
		e := JobEntry{ID: string(id), Status: v.Status, CreatedAt: v.CreatedAt}
		if v.FinishedAt != nil && endedStatuses[v.Status] {
			e.FinishedAt = *v.FinishedAt
		}
		if err := index(idx, e.keys()); err != nil {
			return fmt.Errorf("index job %s: %w", id, err)
		}
		return idx.Bucket(bucketJobEntries).Put(id, e.entryValue())
	})
}
