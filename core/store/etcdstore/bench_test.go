package etcdstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/core/store/etcdstore/etcdtest"
)

// lifecycle writes one job as the daemon does: accepted, started, a progress sample, ended.
func lifecycle(ctx context.Context, b store.Backend, n int) error {
	e := store.JobEntry{ID: fmt.Sprintf("job-%08d", n), Status: "pending", CreatedAt: time.Now().UTC()}
	if err := b.CreateJobs(ctx, []store.JobWrite{{Entry: e, Record: []byte(`{"status":"pending"}`)}}); err != nil {
		return err
	}
	for _, status := range []string{"running", "running", "completed"} {
		err := b.UpdateJob(ctx, e.ID, func([]byte) (store.JobWrite, error) {
			e.Status = status
			if status == "completed" {
				e.FinishedAt = time.Now().UTC()
			}
			return store.JobWrite{Entry: e, Record: []byte(`{"status":"` + status + `"}`)}, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkJobWritesEtcdVsBolt is the store's cost per job — its four writes — in an etcd
// member on this machine (fsync on) against the bbolt file, printed as the ratio.
func BenchmarkJobWritesEtcdVsBolt(b *testing.B) {
	ctx := b.Context()
	bolt, err := store.Open(filepath.Join(b.TempDir(), "hypersdk.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer bolt.Close()
	etcd := openStore(b, etcdtest.StartDurable(b), "/bench/")
	per := map[string]time.Duration{}
	for _, c := range []struct {
		name string
		s    store.Backend
	}{{"bbolt", bolt}, {"etcd", etcd}} {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			if err := lifecycle(ctx, c.s, i); err != nil {
				b.Fatal(err)
			}
		}
		per[c.name] = time.Since(start) / time.Duration(b.N)
	}
	b.Logf("per job: bbolt %s, etcd %s (%.1fx)", per["bbolt"], per["etcd"], float64(per["etcd"])/float64(per["bbolt"]))
	b.ReportMetric(float64(per["etcd"])/float64(per["bbolt"]), "x_etcd_vs_bbolt")
}
