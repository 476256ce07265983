package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hashicorp/go-hclog"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	bolt "go.etcd.io/bbolt"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/metrics"
	"github.com/hypersdk/hypersdk/core/store"
)

// benchManager is the manager the hypersdk_jobs gauge of the benchmark's /metrics reads.
var (
	benchManager     atomic.Pointer[jobs.Manager]
	registerJobGauge sync.Once
)

// BenchmarkJobsAtScale serves a GET /jobs page and a /metrics scrape over a store of 100 jobs
// and one of 100,000, alternately (so the load of the machine weighs on both alike), and
// reports each one's time and their ratio: the index and the counters keep it near 1; before
// them, both requests scanned and decoded every job (about 1,000 times slower at 100,000).
//
//	go test -run '^$' -bench JobsAtScale ./core/api/
func BenchmarkJobsAtScale(b *testing.B) {
	registerJobGauge.Do(func() {
		metrics.Registry.MustRegister(metrics.NewStateCollector("hypersdk_jobs", "Jobs by state.", "state",
			func() map[string]float64 { return benchManager.Load().CountByStatus() }))
	})
	small, smallJobs := jobsBenchServer(b, 100)
	big, bigJobs := jobsBenchServer(b, 100_000)
	serve := func(b *testing.B, h http.Handler, m *jobs.Manager, path string) time.Duration {
		benchManager.Store(m)
		w := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		took := time.Since(start)
		if w.Code != http.StatusOK {
			b.Fatalf("GET %s = %d %s", path, w.Code, w.Body)
		}
		return took
	}
	for _, path := range []string{"/jobs?limit=50", "/jobs?status=completed&limit=20&offset=10", "/metrics"} {
		b.Run(path, func(b *testing.B) {
			var atSmall, atBig time.Duration
			for b.Loop() {
				atSmall += serve(b, small, smallJobs, path)
				atBig += serve(b, big, bigJobs, path)
			}
			b.ReportMetric(float64(atSmall.Microseconds())/float64(b.N), "µs_at_100")
			b.ReportMetric(float64(atBig.Microseconds())/float64(b.N), "µs_at_100000")
			b.ReportMetric(float64(atBig)/float64(atSmall), "ratio")
		})
	}
}

// jobsBenchServer serves GET /jobs and /metrics over a fresh store holding n jobs in every
// status, with records the size a completed export leaves.
func jobsBenchServer(b *testing.B, n int) (http.Handler, *jobs.Manager) {
	b.Helper()
	db, err := store.Open(filepath.Join(b.TempDir(), "hypersdk.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	statuses := []jobs.Status{jobs.StatusCompleted, jobs.StatusCompleted, jobs.StatusFailed, jobs.StatusCancelled, jobs.StatusPending}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for first := 0; first < n; first += 5000 {
		var batch []jobs.Job
		for i := first; i < min(first+5000, n); i++ {
			created := start.Add(time.Duration(i) * time.Second)
			j := jobs.Job{ID: fmt.Sprintf("job-%012x", i), Kind: jobs.KindExport, Status: statuses[i%len(statuses)], CreatedAt: created,
				Spec:   jobs.Spec{VMIdentifier: fmt.Sprintf("vm-%d", i), Provider: "vsphere", ExportMethod: "ova", ExportPath: fmt.Sprintf("/exports/job-%d", i)},
				Result: &jobs.Result{OVA: "/exports/vm.ova", Artifacts: []jobs.Artifact{{Path: "/exports/vm-disk1.vmdk", Kind: "disk", Format: "vmdk", Size: 1 << 34, SHA256: fmt.Sprintf("%064x", i)}}}}
			if j.Status.Terminal() {
				ended := created.Add(time.Hour)
				j.FinishedAt = &ended
			}
			batch = append(batch, j)
		}
		storeTestJobs(b, db, batch...)
	}
	m := jobs.NewManager(jobs.Config{Workers: 1, ConcurrentExports: 1}, db, events.NewBus(), nil, jobs.KVMConfig{}, hclog.NewNullLogger())
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	h := &handlers{Deps: Deps{Jobs: m}}
	r.GET("/jobs", h.listJobs)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{})))
	return r, m
}

// storeTestJobs writes job records as the job manager would, index included.
func storeTestJobs(tb testing.TB, db *store.Store, js ...jobs.Job) {
	tb.Helper()
	err := db.Update(func(tx *bolt.Tx) error {
		for _, j := range js {
			e := store.JobEntry{ID: j.ID, Status: string(j.Status), CreatedAt: j.CreatedAt}
			if j.Status.Terminal() && j.FinishedAt != nil {
				e.FinishedAt = *j.FinishedAt
			}
			raw, err := json.Marshal(j)
			if err != nil {
				return err
			}
			if err := store.PutJob(tx, e, raw); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}
