package etcdstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hypersdk/hypersdk/core/store"
)

// linesPerTxn bounds the log lines of one transaction (plus the job's counter).
const linesPerTxn = maxOps - 1

func (s *Store) logKey(id string, seq uint64) string { return s.key("job_logs", id, hex16(seq)) }

// readSeq reads a counter key: its value and mod revision, 0 and 0 when absent.
func (s *Store) readSeq(ctx context.Context, key string, extra ...clientv3.Op) (uint64, int64, *clientv3.TxnResponse, error) {
	cctx, cancel := s.op(ctx)
	defer cancel()
	resp, err := s.cli.Txn(cctx).Then(append([]clientv3.Op{clientv3.OpGet(key)}, extra...)...).Commit()
	if err != nil {
		return 0, 0, nil, err
	}
	kvs := resp.Responses[0].GetResponseRange().Kvs
	if len(kvs) == 0 {
		return 0, 0, resp, nil
	}
	n, err := strconv.ParseUint(string(kvs[0].Value), 10, 64)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("counter %s = %q: %w", key, kvs[0].Value, err)
	}
	return n, kvs[0].ModRevision, resp, nil
}

// AppendJobLogs adds each job's lines after its last, in transactions of linesPerTxn lines
// compared on the job's log counter (another node logging the same job meanwhile makes it
// read again) and on the job record existing.
func (s *Store) AppendJobLogs(ctx context.Context, lines []store.LogAppend) error {
	byJob := map[string][]store.LogAppend{}
	var order []string
	for _, l := range lines {
		if byJob[l.JobID] == nil {
			order = append(order, l.JobID)
		}
		byJob[l.JobID] = append(byJob[l.JobID], l)
	}
	for _, id := range order {
		todo := byJob[id]
		for len(todo) > 0 {
			chunk := todo[:min(linesPerTxn, len(todo))]
			gone := false
			err := retry(ctx, "append to the log of job "+id, func() error {
				seqKey := s.key("seq", "job_logs", id)
				last, rev, resp, err := s.readSeq(ctx, seqKey, clientv3.OpGet(s.jobKey(id), clientv3.WithKeysOnly()))
				if err != nil {
					return err
				}
				job := resp.Responses[1].GetResponseRange().Kvs
				if len(job) == 0 {
					gone = true // a line about a job retention just deleted: no log to revive
					return nil
				}
				ops := make([]clientv3.Op, 0, len(chunk)+1)
				for i, l := range chunk {
					raw, err := l.Encode(last + uint64(i) + 1)
					if err != nil {
						return fmt.Errorf("encode a log line of job %s: %w", id, err)
					}
					ops = append(ops, clientv3.OpPut(s.logKey(id, last+uint64(i)+1), string(raw)))
				}
				ops = append(ops, clientv3.OpPut(seqKey, strconv.FormatUint(last+uint64(len(chunk)), 10)))
				cctx, cancel := s.op(ctx)
				defer cancel()
				txn, err := s.cli.Txn(cctx).If(
					clientv3.Compare(clientv3.ModRevision(seqKey), "=", rev),
					clientv3.Compare(clientv3.CreateRevision(s.jobKey(id)), "=", job[0].CreateRevision),
				).Then(ops...).Commit()
				if err != nil {
					return err
				}
				if !txn.Succeeded {
					return errConflict
				}
				return nil
			})
			if err != nil {
				return err
			}
			if gone {
				break
			}
			todo = todo[len(chunk):]
		}
	}
	return nil
}

// JobLogs reads a job's lines from after+1 on, 500 at a time.
func (s *Store) JobLogs(ctx context.Context, jobID string, after uint64, fn func(uint64, []byte) error) error {
	prefix := s.key("job_logs", jobID) + "/"
	return s.scanRange(ctx, s.logKey(jobID, after+1), clientv3.GetPrefixRangeEnd(prefix), func(k string, v []byte) error {
		seq, err := parseHex16(strings.TrimPrefix(k, prefix))
		if err != nil {
			return fmt.Errorf("log key %s: %w", k, err)
		}
		return fn(seq, v)
	})
}
