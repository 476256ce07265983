package etcdstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hypersdk/hypersdk/core/store"
)

// jobsPerTxn bounds the jobs of one transaction: each costs up to 8 operations (record, entry,
// three index keys out and three in), and the counters a few more.
const jobsPerTxn = 10

// anyRevision, as an expected revision, means the write does not depend on what it replaces.
const anyRevision = -1

func (s *Store) jobKey(id string) string       { return s.key("jobs", id) }
func (s *Store) entryKey(id string) string     { return s.key("job_index", "entries", id) }
func (s *Store) countKey(status string) string { return s.key("job_index", "counts", status) }
func (s *Store) claimKey(id string) string     { return s.key("claims", id) }

func ns(t time.Time) string { return hex16(uint64(t.UnixNano())) }

// indexKeys are the keys that order and filter a job with entry e.
func (s *Store) indexKeys(e store.JobEntry) []string {
	created := ns(e.CreatedAt)
	keys := []string{s.key("job_index", "by_created", created, e.ID), s.key("job_index", "by_status", e.Status, created, e.ID)}
	if !e.FinishedAt.IsZero() {
		keys = append(keys, s.key("job_index", "by_finished", ns(e.FinishedAt), e.ID))
	}
	return keys
}

func sameEntry(a, b store.JobEntry) bool {
	return a.ID == b.ID && a.Status == b.Status && a.CreatedAt.Equal(b.CreatedAt) && a.FinishedAt.Equal(b.FinishedAt)
}

// stored is what a job write read of a job before changing it.
type stored struct {
	record      []byte
	recordRev   int64 // mod revision of the record, 0 when absent
	entry       *store.JobEntry
	entryRev    int64
	entryExists bool
}

// readJobs reads the records and index entries of ids at one revision.
func (s *Store) readJobs(ctx context.Context, ids []string) (map[string]stored, error) {
	ops := make([]clientv3.Op, 0, 2*len(ids))
	for _, id := range ids {
		ops = append(ops, clientv3.OpGet(s.jobKey(id)), clientv3.OpGet(s.entryKey(id)))
	}
	cctx, cancel := s.op(ctx)
	defer cancel()
	resp, err := s.cli.Txn(cctx).Then(ops...).Commit()
	if err != nil {
		return nil, err
	}
	out := map[string]stored{}
	for i, id := range ids {
		var st stored
		if kvs := resp.Responses[2*i].GetResponseRange().Kvs; len(kvs) > 0 {
			st.record, st.recordRev = kvs[0].Value, kvs[0].ModRevision
		}
		if kvs := resp.Responses[2*i+1].GetResponseRange().Kvs; len(kvs) > 0 {
			var e store.JobEntry
			if err := json.Unmarshal(kvs[0].Value, &e); err != nil {
				return nil, fmt.Errorf("index entry of job %s: %w", id, err)
			}
			st.entry, st.entryRev, st.entryExists = &e, kvs[0].ModRevision, true
		}
		out[id] = st
	}
	return out, nil
}

// readCounts reads the counters of statuses, with their revisions (0 when absent).
func (s *Store) readCounts(ctx context.Context, statuses []string) (map[string]int64, map[string]int64, error) {
	values, revs := map[string]int64{}, map[string]int64{}
	if len(statuses) == 0 {
		return values, revs, nil
	}
	ops := make([]clientv3.Op, len(statuses))
	for i, st := range statuses {
		ops[i] = clientv3.OpGet(s.countKey(st))
	}
	cctx, cancel := s.op(ctx)
	defer cancel()
	resp, err := s.cli.Txn(cctx).Then(ops...).Commit()
	if err != nil {
		return nil, nil, err
	}
	for i, st := range statuses {
		if kvs := resp.Responses[i].GetResponseRange().Kvs; len(kvs) > 0 {
			n, err := strconv.ParseInt(string(kvs[0].Value), 10, 64)
			if err != nil {
				return nil, nil, fmt.Errorf("count of %s jobs %q: %w", st, kvs[0].Value, err)
			}
			values[st], revs[st] = n, kvs[0].ModRevision
		}
	}
	return values, revs, nil
}

// commitJobs writes up to jobsPerTxn jobs in one transaction, with their index and counters.
// expect[i] is the mod revision job i's record must still have (0: must not exist;
// anyRevision: whatever it is). A failed compare is ErrExists for a job that had to be new,
// ErrFenced for a job whose claim is gone, errConflict otherwise.
func (s *Store) commitJobs(ctx context.Context, ws []store.JobWrite, expect []int64, seen map[string]stored) error {
	var cmps []clientv3.Cmp
	var ops, onFail []clientv3.Op
	delta := map[string]int64{}
	type check struct {
		id      string
		mustNew bool
		fence   int64
	}
	var checks []check
	for i, w := range ws {
		id := w.Entry.ID
		st := seen[id]
		if expect[i] != anyRevision {
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(s.jobKey(id)), "=", expect[i]))
		}
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(s.entryKey(id)), "=", st.entryRev))
		if w.Fence != 0 {
			cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(s.claimKey(id)), "=", w.Fence))
		}
		checks = append(checks, check{id: id, mustNew: expect[i] == 0, fence: w.Fence})
		onFail = append(onFail, clientv3.OpGet(s.jobKey(id), clientv3.WithKeysOnly()), clientv3.OpGet(s.claimKey(id), clientv3.WithKeysOnly()))
		ops = append(ops, clientv3.OpPut(s.jobKey(id), string(w.Record)))
		if st.entry != nil && sameEntry(*st.entry, w.Entry) {
			continue // progress, stage, result: nothing the index orders by
		}
		raw, err := json.Marshal(w.Entry)
		if err != nil {
			return fmt.Errorf("encode the index entry of job %s: %w", id, err)
		}
		ops = append(ops, clientv3.OpPut(s.entryKey(id), string(raw)))
		keep := map[string]bool{}
		for _, k := range s.indexKeys(w.Entry) {
			keep[k] = true
			ops = append(ops, clientv3.OpPut(k, ""))
		}
		if st.entry != nil {
			for _, k := range s.indexKeys(*st.entry) {
				if !keep[k] {
					ops = append(ops, clientv3.OpDelete(k))
				}
			}
			delta[st.entry.Status]--
		}
		delta[w.Entry.Status]++
	}
	countOps, countCmps, err := s.countChanges(ctx, delta)
	if err != nil {
		return err
	}
	ops, cmps = append(ops, countOps...), append(cmps, countCmps...)
	cctx, cancel := s.op(ctx)
	defer cancel()
	resp, err := s.cli.Txn(cctx).If(cmps...).Then(ops...).Else(onFail...).Commit()
	if err != nil {
		return err
	}
	if resp.Succeeded {
		return nil
	}
	for i, c := range checks {
		job := resp.Responses[2*i].GetResponseRange().Kvs
		claim := resp.Responses[2*i+1].GetResponseRange().Kvs
		if c.mustNew && len(job) > 0 {
			return fmt.Errorf("job %s: %w", c.id, store.ErrExists)
		}
		if c.fence != 0 && (len(claim) == 0 || claim[0].CreateRevision != c.fence) {
			return fmt.Errorf("write job %s with claim %d: %w", c.id, c.fence, store.ErrFenced)
		}
	}
	return errConflict
}

// countChanges turns per-status deltas into counter writes, compared on the counters' revisions.
func (s *Store) countChanges(ctx context.Context, delta map[string]int64) ([]clientv3.Op, []clientv3.Cmp, error) {
	var statuses []string
	for st, d := range delta {
		if d != 0 {
			statuses = append(statuses, st)
		}
	}
	values, revs, err := s.readCounts(ctx, statuses)
	if err != nil {
		return nil, nil, err
	}
	var ops []clientv3.Op
	var cmps []clientv3.Cmp
	for _, st := range statuses {
		n := values[st] + delta[st]
		if n < 0 {
			return nil, nil, fmt.Errorf("count of %s jobs would go below zero", st)
		}
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(s.countKey(st)), "=", revs[st]))
		ops = append(ops, clientv3.OpPut(s.countKey(st), strconv.FormatInt(n, 10)))
	}
	return ops, cmps, nil
}

// writeJobs reads and writes ws, retrying when another writer came between.
func (s *Store) writeJobs(ctx context.Context, ws []store.JobWrite, mustNew bool) error {
	ids := make([]string, len(ws))
	expect := make([]int64, len(ws))
	for i, w := range ws {
		ids[i] = w.Entry.ID
		expect[i] = anyRevision
		if mustNew {
			expect[i] = 0
		}
	}
	return retry(ctx, "write jobs", func() error {
		seen, err := s.readJobs(ctx, ids)
		if err != nil {
			return err
		}
		return s.commitJobs(ctx, ws, expect, seen)
	})
}

// GetJob returns a job's record.
func (s *Store) GetJob(ctx context.Context, id string) ([]byte, error) {
	cctx, cancel := s.op(ctx)
	defer cancel()
	resp, err := s.cli.Get(cctx, s.jobKey(id))
	if err != nil {
		return nil, fmt.Errorf("read job %s: %w", id, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("job %s: %w", id, store.ErrNotFound)
	}
	return resp.Kvs[0].Value, nil
}

// CreateJobs stores new jobs; a batch larger than one transaction is written in several, and
// the ones written are deleted again when a later one fails.
func (s *Store) CreateJobs(ctx context.Context, jobs []store.JobWrite) error {
	for start := 0; start < len(jobs); start += jobsPerTxn {
		chunk := jobs[start:min(start+jobsPerTxn, len(jobs))]
		if err := s.writeJobs(ctx, chunk, true); err != nil {
			if start > 0 {
				ids := make([]string, start)
				for i := range ids {
					ids[i] = jobs[i].Entry.ID
				}
				if _, derr := s.DeleteJobs(context.WithoutCancel(ctx), ids); derr != nil {
					return errors.Join(fmt.Errorf("create jobs: %w", err), fmt.Errorf("remove the %d created before the failure: %w", start, derr))
				}
			}
			return fmt.Errorf("create jobs: %w", err)
		}
	}
	return nil
}

// PutJob writes one job record.
func (s *Store) PutJob(ctx context.Context, w store.JobWrite) error {
	if err := s.writeJobs(ctx, []store.JobWrite{w}, false); err != nil {
		return fmt.Errorf("write job %s: %w", w.Entry.ID, err)
	}
	return nil
}

// UpdateJob reads a job, changes it and writes it if nobody wrote it in between; otherwise
// reads it again.
func (s *Store) UpdateJob(ctx context.Context, id string, change func([]byte) (store.JobWrite, error)) error {
	return retry(ctx, "update job "+id, func() error {
		seen, err := s.readJobs(ctx, []string{id})
		if err != nil {
			return fmt.Errorf("read job %s: %w", id, err)
		}
		st := seen[id]
		if st.recordRev == 0 {
			return fmt.Errorf("job %s: %w", id, store.ErrNotFound)
		}
		w, err := change(st.record)
		if err != nil {
			return err
		}
		return s.commitJobs(ctx, []store.JobWrite{w}, []int64{st.recordRev}, seen)
	})
}

// DeleteJobs removes jobs, each in its own transaction with its index entries and log.
func (s *Store) DeleteJobs(ctx context.Context, ids []string) (int, error) {
	n := 0
	for _, id := range ids {
		deleted := false
		err := retry(ctx, "delete job "+id, func() error {
			seen, err := s.readJobs(ctx, []string{id})
			if err != nil {
				return err
			}
			st := seen[id]
			if st.recordRev == 0 && !st.entryExists {
				deleted = false
				return nil
			}
			ops := []clientv3.Op{
				clientv3.OpDelete(s.jobKey(id)), clientv3.OpDelete(s.entryKey(id)),
				clientv3.OpDelete(s.key("job_logs", id)+"/", clientv3.WithPrefix()), clientv3.OpDelete(s.key("seq", "job_logs", id)),
			}
			cmps := []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(s.jobKey(id)), "=", st.recordRev),
				clientv3.Compare(clientv3.ModRevision(s.entryKey(id)), "=", st.entryRev)}
			if st.entry != nil {
				for _, k := range s.indexKeys(*st.entry) {
					ops = append(ops, clientv3.OpDelete(k))
				}
				countOps, countCmps, err := s.countChanges(ctx, map[string]int64{st.entry.Status: -1})
				if err != nil {
					return err
				}
				ops, cmps = append(ops, countOps...), append(cmps, countCmps...)
			}
			cctx, cancel := s.op(ctx)
			defer cancel()
			resp, err := s.cli.Txn(cctx).If(cmps...).Then(ops...).Commit()
			if err != nil {
				return err
			}
			if !resp.Succeeded {
				return errConflict
			}
			deleted = true
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("delete job %s: %w", id, err)
		}
		if deleted {
			n++
		}
	}
	return n, nil
}

// ForEachJob walks every job in id order.
func (s *Store) ForEachJob(ctx context.Context, fn func(string, []byte) error) error {
	prefix := s.key("jobs") + "/"
	return s.scan(ctx, prefix, func(k string, v []byte) error { return fn(strings.TrimPrefix(k, prefix), v) })
}

// JobCounts reads the counters.
func (s *Store) JobCounts(ctx context.Context) (map[string]uint64, error) {
	out := map[string]uint64{}
	prefix := s.key("job_index", "counts") + "/"
	err := s.scan(ctx, prefix, func(k string, v []byte) error {
		n, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			return fmt.Errorf("count %s: %w", k, err)
		}
		out[strings.TrimPrefix(k, prefix)] = n
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read job counts: %w", err)
	}
	return out, nil
}

// JobPage reads the order keys newest first, then the records of the page, at one revision.
func (s *Store) JobPage(ctx context.Context, status string, offset, limit int, fn func([]byte) error) (int, error) {
	counts, err := s.JobCounts(ctx)
	if err != nil {
		return 0, err
	}
	var total uint64
	prefix := s.key("job_index", "by_created") + "/"
	if status != "" {
		total = counts[status]
		prefix = s.key("job_index", "by_status", status) + "/"
	} else {
		for _, n := range counts {
			total += n
		}
	}
	opts := []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend)}
	if limit > 0 {
		opts = append(opts, clientv3.WithLimit(int64(offset+limit)))
	}
	cctx, cancel := s.op(ctx)
	defer cancel()
	resp, err := s.cli.Get(cctx, prefix, opts...)
	if err != nil {
		return 0, fmt.Errorf("list jobs: %w", err)
	}
	if offset >= len(resp.Kvs) {
		return int(total), nil
	}
	keys := resp.Kvs[offset:]
	for start := 0; start < len(keys); start += maxOps {
		chunk := keys[start:min(start+maxOps, len(keys))]
		ops := make([]clientv3.Op, len(chunk))
		ids := make([]string, len(chunk))
		for i, kv := range chunk {
			ids[i] = string(kv.Key[strings.LastIndexByte(string(kv.Key), '/')+1:])
			ops[i] = clientv3.OpGet(s.jobKey(ids[i]), clientv3.WithRev(resp.Header.Revision))
		}
		recs, err := s.cli.Txn(cctx).Then(ops...).Commit()
		if err != nil {
			return 0, fmt.Errorf("list jobs: %w", err)
		}
		for i, r := range recs.Responses {
			kvs := r.GetResponseRange().Kvs
			if len(kvs) == 0 {
				return 0, fmt.Errorf("job %s is indexed but has no record", ids[i])
			}
			if err := fn(kvs[0].Value); err != nil {
				return 0, fmt.Errorf("job %s: %w", ids[i], err)
			}
		}
	}
	return int(total), nil
}

// FinishedBefore reads the index of ended jobs from its oldest key.
func (s *Store) FinishedBefore(ctx context.Context, cutoff time.Time, max int) ([]string, error) {
	prefix := s.key("job_index", "by_finished") + "/"
	cctx, cancel := s.op(ctx)
	defer cancel()
	resp, err := s.cli.Get(cctx, prefix, clientv3.WithRange(prefix+ns(cutoff)), clientv3.WithKeysOnly(), clientv3.WithLimit(int64(max)))
	if err != nil {
		return nil, fmt.Errorf("find jobs ended before %s: %w", cutoff.UTC().Format(time.RFC3339), err)
	}
	var ids []string
	for _, kv := range resp.Kvs {
		ids = append(ids, string(kv.Key[strings.LastIndexByte(string(kv.Key), '/')+1:]))
	}
	return ids, nil
}
