// Package storetest is the conformance suite every store.Backend passes: the bbolt file and the
// etcd cluster run the same table of cases, so a caller cannot tell them apart by behaviour.
//
// An implementation's test calls Run with a function that opens an empty backend:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Backend { return openEmpty(t) })
//	}
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/store"
)

// Open returns an empty backend that lives until the test ends.
type Open func(t *testing.T) store.Backend

// Run runs every case against a fresh backend each.
func Run(t *testing.T, open Open) {
	cases := []struct {
		name string
		fn   func(context.Context, *testing.T, store.Backend)
	}{
		{"jobs/create get put", jobsCreateGetPut},
		{"jobs/create refuses an existing id, all or none", jobsCreateAllOrNone},
		{"jobs/update reads, changes, writes", jobsUpdate},
		{"jobs/update concurrent changes are not lost", jobsUpdateConcurrent},
		{"jobs/page newest first by status", jobsPage},
		{"jobs/counts follow status changes", jobsCounts},
		{"jobs/finished before, oldest first", jobsFinishedBefore},
		{"jobs/delete removes record, index and log", jobsDelete},
		{"jobs/for each in id order", jobsForEach},
		{"logs/append numbers lines per job", logsAppend},
		{"logs/lines of a missing job are dropped", logsMissingJob},
		{"records/get put update delete list", recordsCRUD},
		{"outbox/add, walk, rewrite, delete", outbox},
		{"audit/append numbers, page newest first", auditLog},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := open(t)
			c.fn(t.Context(), t, b)
		})
	}
}

var base = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// job is a JobWrite of job n, created n seconds after base; ended jobs finish an hour later.
func job(n int, status string) store.JobWrite {
	e := store.JobEntry{ID: fmt.Sprintf("job-%03d", n), Status: status, CreatedAt: base.Add(time.Duration(n) * time.Second)}
	if status == "completed" || status == "failed" || status == "cancelled" {
		e.FinishedAt = e.CreatedAt.Add(time.Hour)
	}
	return store.JobWrite{Entry: e, Record: []byte(fmt.Sprintf(`{"job_id":%q,"status":%q}`, e.ID, status))}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func page(ctx context.Context, t *testing.T, b store.Backend, status string, offset, limit int) ([]string, int) {
	t.Helper()
	var got []string
	total, err := b.JobPage(ctx, status, offset, limit, func(raw []byte) error {
		got = append(got, string(raw))
		return nil
	})
	must(t, err)
	return got, total
}

func jobsCreateGetPut(ctx context.Context, t *testing.T, b store.Backend) {
	must(t, b.CreateJobs(ctx, []store.JobWrite{job(1, "pending"), job(2, "pending")}))
	got, err := b.GetJob(ctx, "job-001")
	must(t, err)
	if string(got) != string(job(1, "pending").Record) {
		t.Errorf("GetJob = %s", got)
	}
	must(t, b.PutJob(ctx, job(1, "running")))
	got, err = b.GetJob(ctx, "job-001")
	must(t, err)
	if string(got) != string(job(1, "running").Record) {
		t.Errorf("GetJob after PutJob = %s", got)
	}
	if _, err := b.GetJob(ctx, "job-404"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetJob of a missing job = %v, want ErrNotFound", err)
	}
}

func jobsCreateAllOrNone(ctx context.Context, t *testing.T, b store.Backend) {
	must(t, b.CreateJobs(ctx, []store.JobWrite{job(1, "pending")}))
	err := b.CreateJobs(ctx, []store.JobWrite{job(2, "pending"), job(1, "pending")})
	if !errors.Is(err, store.ErrExists) {
		t.Fatalf("CreateJobs with a stored id = %v, want ErrExists", err)
	}
	if _, err := b.GetJob(ctx, "job-002"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("job-002 of the refused batch was stored: %v", err)
	}
	if _, total := page(ctx, t, b, "", 0, 0); total != 1 {
		t.Errorf("total after a refused batch = %d, want 1", total)
	}
}

func jobsUpdate(ctx context.Context, t *testing.T, b store.Backend) {
	must(t, b.CreateJobs(ctx, []store.JobWrite{job(1, "pending")}))
	must(t, b.UpdateJob(ctx, "job-001", func(raw []byte) (store.JobWrite, error) {
		if string(raw) != string(job(1, "pending").Record) {
			t.Errorf("change saw %s", raw)
		}
		return job(1, "running"), nil
	}))
	refuse := errors.New("refused")
	if err := b.UpdateJob(ctx, "job-001", func([]byte) (store.JobWrite, error) { return store.JobWrite{}, refuse }); !errors.Is(err, refuse) {
		t.Errorf("UpdateJob whose change fails = %v, want its error", err)
	}
	if err := b.UpdateJob(ctx, "job-404", func([]byte) (store.JobWrite, error) { return job(404, "running"), nil }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateJob of a missing job = %v, want ErrNotFound", err)
	}
	got, err := b.GetJob(ctx, "job-001")
	must(t, err)
	if string(got) != string(job(1, "running").Record) {
		t.Errorf("after update = %s", got)
	}
	if _, total := page(ctx, t, b, "running", 0, 0); total != 1 {
		t.Errorf("running total = %d, want 1", total)
	}
}

// jobsUpdateConcurrent increments a counter kept in a record from several goroutines: an
// update that overwrote another's would lose an increment.
func jobsUpdateConcurrent(ctx context.Context, t *testing.T, b store.Backend) {
	w := job(1, "running")
	w.Record = []byte("0")
	must(t, b.CreateJobs(ctx, []store.JobWrite{w}))
	const workers, each = 4, 10
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				err := b.UpdateJob(ctx, "job-001", func(raw []byte) (store.JobWrite, error) {
					var n int
					if _, err := fmt.Sscan(string(raw), &n); err != nil {
						return store.JobWrite{}, err
					}
					out := w
					out.Record = []byte(fmt.Sprint(n + 1))
					return out, nil
				})
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	got, err := b.GetJob(ctx, "job-001")
	must(t, err)
	if string(got) != fmt.Sprint(workers*each) {
		t.Errorf("counter = %s after %d increments", got, workers*each)
	}
}

func jobsPage(ctx context.Context, t *testing.T, b store.Backend) {
	var all []store.JobWrite
	for n := 1; n <= 7; n++ {
		all = append(all, job(n, []string{"pending", "running", "completed"}[n%3]))
	}
	must(t, b.CreateJobs(ctx, all))
	rec := func(ns ...int) []string {
		var out []string
		for _, n := range ns {
			out = append(out, string(job(n, []string{"pending", "running", "completed"}[n%3]).Record))
		}
		return out
	}
	cases := []struct {
		status        string
		offset, limit int
		want          []string
		total         int
	}{
		{"", 0, 0, rec(7, 6, 5, 4, 3, 2, 1), 7},
		{"", 0, 3, rec(7, 6, 5), 7},
		{"", 5, 3, rec(2, 1), 7},
		{"", 9, 3, nil, 7},
		{"running", 0, 0, rec(7, 4, 1), 3},
		{"running", 1, 1, rec(4), 3},
		{"completed", 0, 10, rec(5, 2), 2},
		{"failed", 0, 10, nil, 0},
	}
	for _, c := range cases {
		got, total := page(ctx, t, b, c.status, c.offset, c.limit)
		if !reflect.DeepEqual(got, c.want) || total != c.total {
			t.Errorf("JobPage(%q, %d, %d) = %v of %d, want %v of %d", c.status, c.offset, c.limit, got, total, c.want, c.total)
		}
	}
}

func jobsCounts(ctx context.Context, t *testing.T, b store.Backend) {
	must(t, b.CreateJobs(ctx, []store.JobWrite{job(1, "pending"), job(2, "pending"), job(3, "pending")}))
	must(t, b.PutJob(ctx, job(1, "running")))
	must(t, b.PutJob(ctx, job(2, "running")))
	must(t, b.PutJob(ctx, job(2, "completed")))
	must(t, b.PutJob(ctx, job(2, "completed"))) // unchanged: counted once
	got, err := b.JobCounts(ctx)
	must(t, err)
	for status, want := range map[string]uint64{"pending": 1, "running": 1, "completed": 1, "failed": 0} {
		if got[status] != want {
			t.Errorf("JobCounts()[%s] = %d, want %d (all: %v)", status, got[status], want, got)
		}
	}
}

func jobsFinishedBefore(ctx context.Context, t *testing.T, b store.Backend) {
	must(t, b.CreateJobs(ctx, []store.JobWrite{job(3, "completed"), job(1, "failed"), job(2, "running"), job(4, "cancelled")}))
	cases := []struct {
		cutoff time.Time
		max    int
		want   []string
	}{
		{base.Add(time.Hour + 10*time.Second), 10, []string{"job-001", "job-003", "job-004"}},
		{base.Add(time.Hour + 10*time.Second), 2, []string{"job-001", "job-003"}},
		{base.Add(time.Hour + 3*time.Second), 10, []string{"job-001"}},
		{base, 10, nil},
	}
	for _, c := range cases {
		got, err := b.FinishedBefore(ctx, c.cutoff, c.max)
		must(t, err)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("FinishedBefore(%v, %d) = %v, want %v", c.cutoff, c.max, got, c.want)
		}
	}
}

func jobsDelete(ctx context.Context, t *testing.T, b store.Backend) {
	must(t, b.CreateJobs(ctx, []store.JobWrite{job(1, "completed"), job(2, "completed"), job(3, "pending")}))
	must(t, b.AppendJobLogs(ctx, []store.LogAppend{line("job-001", "accepted")}))
	n, err := b.DeleteJobs(ctx, []string{"job-001", "job-002", "job-404"})
	must(t, err)
	if n != 2 {
		t.Errorf("DeleteJobs = %d, want 2", n)
	}
	if _, err := b.GetJob(ctx, "job-001"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted job still read: %v", err)
	}
	if got, total := page(ctx, t, b, "", 0, 0); total != 1 || len(got) != 1 {
		t.Errorf("after delete: %v of %d, want job-003 alone", got, total)
	}
	if ids, _ := b.FinishedBefore(ctx, base.Add(48*time.Hour), 10); len(ids) != 0 {
		t.Errorf("deleted jobs still expire: %v", ids)
	}
	if got := logLines(ctx, t, b, "job-001", 0); len(got) != 0 {
		t.Errorf("deleted job's log still read: %v", got)
	}
	// A job created again under the id starts a fresh log.
	must(t, b.CreateJobs(ctx, []store.JobWrite{job(1, "pending")}))
	must(t, b.AppendJobLogs(ctx, []store.LogAppend{line("job-001", "again")}))
	if got := logLines(ctx, t, b, "job-001", 0); !reflect.DeepEqual(got, []string{"1:again"}) {
		t.Errorf("log of a re-created job = %v", got)
	}
}

func jobsForEach(ctx context.Context, t *testing.T, b store.Backend) {
	must(t, b.CreateJobs(ctx, []store.JobWrite{job(3, "pending"), job(1, "running"), job(2, "completed")}))
	var ids []string
	must(t, b.ForEachJob(ctx, func(id string, _ []byte) error { ids = append(ids, id); return nil }))
	if want := []string{"job-001", "job-002", "job-003"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("ForEachJob = %v, want %v", ids, want)
	}
}

// line is a log line whose stored form is "seq:msg".
func line(jobID, msg string) store.LogAppend {
	return store.LogAppend{JobID: jobID, Encode: func(seq uint64) ([]byte, error) { return []byte(fmt.Sprintf("%d:%s", seq, msg)), nil }}
}

func logLines(ctx context.Context, t *testing.T, b store.Backend, id string, after uint64) []string {
	t.Helper()
	var out []string
	must(t, b.JobLogs(ctx, id, after, func(seq uint64, raw []byte) error {
		if want := fmt.Sprintf("%d:", seq); string(raw[:len(want)]) != want {
			t.Errorf("line %q read as seq %d", raw, seq)
		}
		out = append(out, string(raw))
		return nil
	}))
	return out
}

func logsAppend(ctx context.Context, t *testing.T, b store.Backend) {
	must(t, b.CreateJobs(ctx, []store.JobWrite{job(1, "running"), job(2, "running")}))
	must(t, b.AppendJobLogs(ctx, []store.LogAppend{line("job-001", "a"), line("job-002", "x"), line("job-001", "b")}))
	var many []store.LogAppend
	for i := range 300 { // more than one etcd transaction holds
		many = append(many, line("job-001", fmt.Sprint("m", i)))
	}
	must(t, b.AppendJobLogs(ctx, many))
	got := logLines(ctx, t, b, "job-001", 0)
	if len(got) != 302 || got[0] != "1:a" || got[1] != "2:b" || got[301] != "302:m299" {
		t.Errorf("job-001 log: %d lines, first %v, last %v", len(got), got[:min(2, len(got))], got[len(got)-1:])
	}
	if got := logLines(ctx, t, b, "job-001", 300); !reflect.DeepEqual(got, []string{"301:m298", "302:m299"}) {
		t.Errorf("job-001 after 300 = %v", got)
	}
	if got := logLines(ctx, t, b, "job-002", 0); !reflect.DeepEqual(got, []string{"1:x"}) {
		t.Errorf("job-002 log = %v", got)
	}
}

func logsMissingJob(ctx context.Context, t *testing.T, b store.Backend) {
	must(t, b.CreateJobs(ctx, []store.JobWrite{job(1, "running")}))
	must(t, b.AppendJobLogs(ctx, []store.LogAppend{line("job-404", "lost"), line("job-001", "kept")}))
	if got := logLines(ctx, t, b, "job-404", 0); len(got) != 0 {
		t.Errorf("a missing job got a log: %v", got)
	}
	if got := logLines(ctx, t, b, "job-001", 0); !reflect.DeepEqual(got, []string{"1:kept"}) {
		t.Errorf("job-001 log = %v", got)
	}
}

func recordsCRUD(ctx context.Context, t *testing.T, b store.Backend) {
	for _, c := range store.Collections {
		must(t, b.PutRecord(ctx, c, "b", []byte(`"b1"`)))
		must(t, b.PutRecord(ctx, c, "a", []byte(`"a1"`)))
		must(t, b.UpdateRecord(ctx, c, "b", func(raw []byte) ([]byte, error) { return append(raw, '!'), nil }))
		got, err := b.GetRecord(ctx, c, "b")
		must(t, err)
		if string(got) != `"b1"!` {
			t.Errorf("%s: b = %s", c, got)
		}
		var ids []string
		must(t, b.ListRecords(ctx, c, func(id string, _ []byte) error { ids = append(ids, id); return nil }))
		if !reflect.DeepEqual(ids, []string{"a", "b"}) {
			t.Errorf("%s: list = %v", c, ids)
		}
		must(t, b.DeleteRecord(ctx, c, "a"))
		for name, err := range map[string]error{
			"get":    func() error { _, err := b.GetRecord(ctx, c, "a"); return err }(),
			"delete": b.DeleteRecord(ctx, c, "a"),
			"update": b.UpdateRecord(ctx, c, "a", func(raw []byte) ([]byte, error) { return raw, nil }),
		} {
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("%s: %s of a deleted record = %v, want ErrNotFound", c, name, err)
			}
		}
	}
	// Collections are apart: a schedule id is not a policy's.
	if _, err := b.GetRecord(ctx, store.Policies, "x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("policy x = %v", err)
	}
}

func outbox(ctx context.Context, t *testing.T, b store.Backend) {
	encode := func(tag string) func(int, uint64) ([]byte, error) {
		return func(i int, seq uint64) ([]byte, error) { return []byte(fmt.Sprintf("%s%d@%d", tag, i, seq)), nil }
	}
	must(t, b.AddDeliveries(ctx, 2, encode("a")))
	must(t, b.AddDeliveries(ctx, 1, encode("b")))
	walk := func() []string {
		var out []string
		must(t, b.ForEachDelivery(ctx, func(seq uint64, raw []byte) error {
			out = append(out, fmt.Sprintf("%d=%s", seq, raw))
			return nil
		}))
		return out
	}
	if got, want := walk(), []string{"1=a0@1", "2=a1@2", "3=b0@3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("outbox = %v, want %v", got, want)
	}
	must(t, b.PutDelivery(ctx, 2, []byte("retry")))
	must(t, b.DeleteDelivery(ctx, 1))
	must(t, b.DeleteDelivery(ctx, 1)) // gone already: not an error
	if got, want := walk(), []string{"2=retry", "3=b0@3"}; !reflect.DeepEqual(got, want) {
		t.Errorf("outbox = %v, want %v", got, want)
	}
	must(t, b.AddDeliveries(ctx, 1, encode("c")))
	if got := walk(); got[len(got)-1] != "4=c0@4" {
		t.Errorf("a sequence was reused: %v", got)
	}
}

func auditLog(ctx context.Context, t *testing.T, b store.Backend) {
	for i := range 5 {
		must(t, b.AppendAudit(ctx, func(seq uint64) ([]byte, error) { return []byte(fmt.Sprintf("%d:%d", seq, i)), nil }))
	}
	cases := []struct {
		offset, limit int
		want          []string
	}{
		{0, 2, []string{"5:4", "4:3"}},
		{3, 10, []string{"2:1", "1:0"}},
		{0, 0, []string{"5:4", "4:3", "3:2", "2:1", "1:0"}},
		{5, 1, nil},
	}
	for _, c := range cases {
		var got []string
		total, err := b.AuditPage(ctx, c.offset, c.limit, func(raw []byte) error { got = append(got, string(raw)); return nil })
		must(t, err)
		if total != 5 || !reflect.DeepEqual(got, c.want) {
			t.Errorf("AuditPage(%d, %d) = %v of %d, want %v of 5", c.offset, c.limit, got, total, c.want)
		}
	}
}
