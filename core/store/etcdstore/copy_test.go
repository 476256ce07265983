package etcdstore_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/core/store/etcdstore/etcdtest"
)

// dump reads everything a backend holds, as the daemon reads it.
func dump(t *testing.T, b store.Backend) map[string]string {
	t.Helper()
	ctx := t.Context()
	out := map[string]string{}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(b.ForEachJob(ctx, func(id string, raw []byte) error {
		out["job/"+id] = string(raw)
		return b.JobLogs(ctx, id, 0, func(seq uint64, line []byte) error {
			out[fmt.Sprintf("log/%s/%d", id, seq)] = string(line)
			return nil
		})
	}))
	for _, status := range []string{"", "pending", "completed"} {
		var page []string
		total, err := b.JobPage(ctx, status, 0, 0, func(raw []byte) error { page = append(page, string(raw)); return nil })
		must(err)
		out["page/"+status] = fmt.Sprint(total, page)
	}
	ended, err := b.FinishedBefore(ctx, time.Now().Add(time.Hour), 10)
	must(err)
	out["ended"] = fmt.Sprint(ended)
	for _, c := range store.Collections {
		must(b.ListRecords(ctx, c, func(id string, raw []byte) error { out[string(c)+"/"+id] = string(raw); return nil }))
	}
	must(b.ForEachDelivery(ctx, func(seq uint64, raw []byte) error { out[fmt.Sprint("outbox/", seq)] = string(raw); return nil }))
	total, err := b.AuditPage(ctx, 0, 0, func(raw []byte) error { out["audit/"+string(raw)] = ""; return nil })
	must(err)
	out["audit total"] = fmt.Sprint(total)
	return out
}

// migrate-store's copy: everything a bbolt file holds reads the same from etcd afterwards, and
// a second copy into the now full target is refused.
func TestCopyBoltIntoEtcd(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	src, err := store.Open(filepath.Join(t.TempDir(), "hypersdk.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	// Numbered things start above 1 in the source, as in a file that has run a while.
	for i := range 3 {
		src.AddDeliveries(ctx, 1, func(_ int, seq uint64) ([]byte, error) { return []byte(fmt.Sprintf(`{"seq":%d,"n":%d}`, seq, i)), nil })
		src.DeleteDelivery(ctx, uint64(i+1))
	}
	src.AddDeliveries(ctx, 1, func(_ int, seq uint64) ([]byte, error) { return []byte(fmt.Sprintf(`{"seq":%d,"n":9}`, seq)), nil })
	created := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var jobs []store.JobWrite
	for i := range 130 { // more than one CreateJobs batch
		status, finished := "pending", "null"
		e := store.JobEntry{ID: fmt.Sprintf("job-%03d", i), Status: status, CreatedAt: created.Add(time.Duration(i) * time.Minute)}
		if i%2 == 0 {
			e.Status, e.FinishedAt = "completed", e.CreatedAt.Add(time.Hour)
			finished = `"` + e.FinishedAt.Format(time.RFC3339Nano) + `"`
		}
		raw := fmt.Sprintf(`{"job_id":%q,"status":%q,"created_at":%q,"finished_at":%s}`, e.ID, e.Status, e.CreatedAt.Format(time.RFC3339Nano), finished)
		jobs = append(jobs, store.JobWrite{Entry: e, Record: []byte(raw)})
	}
	if err := src.CreateJobs(ctx, jobs); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"job-001", "job-002"} {
		src.AppendJobLogs(ctx, []store.LogAppend{
			{JobID: id, Encode: func(seq uint64) ([]byte, error) { return []byte(fmt.Sprintf(`{"seq":%d,"message":"a"}`, seq)), nil }},
			{JobID: id, Encode: func(seq uint64) ([]byte, error) { return []byte(fmt.Sprintf(`{"seq":%d,"message":"b"}`, seq)), nil }},
		})
	}
	for _, c := range store.Collections { // one record of each kind, whichever kinds there are
		id := string(c) + "-1"
		if err := src.PutRecord(ctx, c, id, []byte(`{"id":"`+id+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		src.AppendAudit(ctx, func(seq uint64) ([]byte, error) { return []byte(fmt.Sprintf(`{"seq":%d}`, seq)), nil })
	}

	dst := openStore(t, etcdtest.Start(t), "/migrated/")
	n, err := store.Copy(ctx, src, dst)
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.Copied{Jobs: 130, LogLines: 4, Schedules: 1, Policies: 1, Webhooks: 1, LastDeliveries: 1, EndEvents: 1, Deliveries: 1, AuditEntries: 2}); n != want {
		t.Errorf("copied %+v, want %+v", n, want)
	}
	got, want := dump(t, dst), dump(t, src)
	// The one delivery left was number 4 in the file; the target numbers it 1.
	if want["outbox/4"] != `{"seq":4,"n":9}` || got["outbox/1"] != `{"n":9,"seq":1}` {
		t.Errorf("outbox: source %q, target %q", want["outbox/4"], got["outbox/1"])
	}
	delete(want, "outbox/4")
	delete(got, "outbox/1")
	if !reflect.DeepEqual(got, want) {
		for k := range want {
			if got[k] != want[k] {
				t.Errorf("%s: etcd has %q, bbolt %q", k, got[k], want[k])
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("%s: only in etcd", k)
			}
		}
	}
	if _, err := store.Copy(ctx, src, dst); !errors.Is(err, store.ErrNotEmpty) {
		t.Errorf("second copy = %v, want ErrNotEmpty", err)
	}
}
