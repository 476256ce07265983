package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
)

// Copied counts what Copy moved.
type Copied struct {
	Jobs, LogLines, Schedules, Policies, Webhooks, LastDeliveries, EndEvents, Deliveries, AuditEntries int
}

// ErrNotEmpty means Copy's target already holds jobs or records: a copy never merges.
var ErrNotEmpty = errors.New("target store is not empty")

// Copy moves everything from one backend into an empty other (hypervisord migrate-store: a
// bbolt file into etcd). Job records keep their ids and bytes; log lines, webhook deliveries
// and audit entries are numbered anew by the target, in the same order, each record's "seq"
// rewritten to its new number. Run it with no daemon using either store.
func Copy(ctx context.Context, from, to Backend) (Copied, error) {
	var n Copied
	if err := checkEmpty(ctx, to); err != nil {
		return n, err
	}
	var batch []JobWrite
	var ids []string
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := to.CreateJobs(ctx, batch); err != nil {
			return err
		}
		n.Jobs += len(batch)
		batch = batch[:0]
		return nil
	}
	err := from.ForEachJob(ctx, func(id string, raw []byte) error {
		e, err := entryOf(id, raw)
		if err != nil {
			return err
		}
		batch = append(batch, JobWrite{Entry: e, Record: slices.Clone(raw)})
		ids = append(ids, id)
		if len(batch) == 100 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return n, fmt.Errorf("copy jobs: %w", err)
	}
	for _, id := range ids {
		var lines []LogAppend
		err := from.JobLogs(ctx, id, 0, func(_ uint64, raw []byte) error {
			raw = slices.Clone(raw)
			lines = append(lines, LogAppend{JobID: id, Encode: func(seq uint64) ([]byte, error) { return withSeq(raw, seq) }})
			return nil
		})
		if err == nil && len(lines) > 0 {
			err = to.AppendJobLogs(ctx, lines)
		}
		if err != nil {
			return n, fmt.Errorf("copy the log of job %s: %w", id, err)
		}
		n.LogLines += len(lines)
	}
	counts := map[Collection]*int{Schedules: &n.Schedules, Policies: &n.Policies, Webhooks: &n.Webhooks,
		WebhookDeliveries: &n.LastDeliveries, EndEvents: &n.EndEvents}
	for _, c := range Collections {
		err := from.ListRecords(ctx, c, func(id string, raw []byte) error {
			*counts[c]++
			return to.PutRecord(ctx, c, id, slices.Clone(raw))
		})
		if err != nil {
			return n, fmt.Errorf("copy %s: %w", c, err)
		}
	}
	var deliveries [][]byte
	if err := from.ForEachDelivery(ctx, func(_ uint64, raw []byte) error { deliveries = append(deliveries, slices.Clone(raw)); return nil }); err != nil {
		return n, fmt.Errorf("read the webhook outbox: %w", err)
	}
	if len(deliveries) > 0 {
		if err := to.AddDeliveries(ctx, len(deliveries), func(i int, seq uint64) ([]byte, error) { return withSeq(deliveries[i], seq) }); err != nil {
			return n, fmt.Errorf("copy the webhook outbox: %w", err)
		}
		n.Deliveries = len(deliveries)
	}
	var audit [][]byte
	if _, err := from.AuditPage(ctx, 0, 0, func(raw []byte) error { audit = append(audit, slices.Clone(raw)); return nil }); err != nil {
		return n, fmt.Errorf("read the audit log: %w", err)
	}
	for i := len(audit) - 1; i >= 0; i-- { // oldest first
		if err := to.AppendAudit(ctx, func(seq uint64) ([]byte, error) { return withSeq(audit[i], seq) }); err != nil {
			return n, fmt.Errorf("copy the audit log: %w", err)
		}
		n.AuditEntries++
	}
	return n, nil
}

// checkEmpty refuses a target with any job or record.
func checkEmpty(ctx context.Context, to Backend) error {
	counts, err := to.JobCounts(ctx)
	if err != nil {
		return fmt.Errorf("read the target: %w", err)
	}
	for status, c := range counts {
		if c > 0 {
			return fmt.Errorf("%w: it has %d %s jobs", ErrNotEmpty, c, status)
		}
	}
	for _, c := range Collections {
		found := errors.New("found")
		err := to.ListRecords(ctx, c, func(string, []byte) error { return found })
		if errors.Is(err, found) {
			return fmt.Errorf("%w: it has %s", ErrNotEmpty, c)
		}
		if err != nil {
			return fmt.Errorf("read the target: %w", err)
		}
	}
	return nil
}

// entryOf is the index entry of a job record, read as the index is built from records.
func entryOf(id string, raw []byte) (JobEntry, error) {
	var v jobRecordView
	if err := json.Unmarshal(raw, &v); err != nil {
		return JobEntry{}, fmt.Errorf("job %s: %w", id, err)
	}
	e := JobEntry{ID: id, Status: v.Status, CreatedAt: v.CreatedAt}
	if v.FinishedAt != nil && endedStatuses[v.Status] {
		e.FinishedAt = *v.FinishedAt
	}
	return e, nil
}

// withSeq sets a JSON object's "seq" to seq.
func withSeq(raw []byte, seq uint64) ([]byte, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("renumber a record: %w", err)
	}
	if string(m["seq"]) == fmt.Sprint(seq) {
		return raw, nil // numbered the same: the bytes as they were
	}
	m["seq"] = json.RawMessage(fmt.Sprint(seq))
	return json.Marshal(m)
}
