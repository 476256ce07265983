package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/audit"
	"github.com/hypersdk/hypersdk/core/auth"
	"github.com/hypersdk/hypersdk/core/config"
	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/store"
)

// BenchmarkDashboardPageLoad serves the API calls of the dashboard's pages over a store of 100
// jobs and one of 10,000, alternately, and reports each one's time and their ratio. The jobs
// page reads one page through the store's index, so it stays near 1; the overview's summary
// reads the failures of the last day (every failed job here: the worst case); a provider filter
// reads every job of the status (docs/dashboard.md says so).
//
//	go test -run '^$' -bench DashboardPageLoad ./core/api/
func BenchmarkDashboardPageLoad(b *testing.B) {
	small := dashboardBenchServer(b, 100)
	big := dashboardBenchServer(b, 10_000)
	pages := []struct {
		name  string
		paths []string
	}{
		{"jobs page", []string{"/auth/whoami", "/jobs?limit=50"}},
		{"jobs page, failed", []string{"/auth/whoami", "/jobs?status=failed&limit=50"}},
		{"jobs page, one provider", []string{"/auth/whoami", "/jobs?provider=aws&limit=50"}},
		{"jobs page, page 100", []string{"/auth/whoami", "/jobs?limit=50&offset=4950"}},
		{"overview", []string{"/auth/whoami", "/jobs/summary"}},
	}
	load := func(b *testing.B, h http.Handler, paths []string) time.Duration {
		start := time.Now()
		for _, p := range paths {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080"+p, nil))
			if w.Code != http.StatusOK {
				b.Fatalf("GET %s = %d %s", p, w.Code, w.Body)
			}
		}
		return time.Since(start)
	}
	for _, page := range pages {
		b.Run(page.name, func(b *testing.B) {
			var atSmall, atBig time.Duration
			for b.Loop() {
				atSmall += load(b, small, page.paths)
				atBig += load(b, big, page.paths)
			}
			b.ReportMetric(float64(atSmall.Microseconds())/float64(b.N), "µs_at_100")
			b.ReportMetric(float64(atBig.Microseconds())/float64(b.N), "µs_at_10000")
			b.ReportMetric(float64(atBig)/float64(atSmall), "ratio")
		})
	}
}

// dashboardBenchServer is the API over a fresh store of n jobs of every status, all created in
// the last day, a fifth of them through provider aws.
func dashboardBenchServer(b *testing.B, n int) http.Handler {
	b.Helper()
	db, err := store.Open(filepath.Join(b.TempDir(), "hypersdk.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	statuses := []jobs.Status{jobs.StatusCompleted, jobs.StatusCompleted, jobs.StatusFailed, jobs.StatusCancelled, jobs.StatusPending}
	now := time.Now().UTC()
	var batch []jobs.Job
	for i := 0; i < n; i++ {
		created := now.Add(-time.Duration(n-i) * time.Second)
		p := "vsphere"
		if i%5 == 1 {
			p = "aws"
		}
		j := jobs.Job{ID: fmt.Sprintf("job-%012x", i), Kind: jobs.KindExport, Status: statuses[i%len(statuses)], CreatedAt: created,
			Spec:   jobs.Spec{VMIdentifier: fmt.Sprintf("vm-%d", i), Provider: p, ExportMethod: "ova", ExportPath: fmt.Sprintf("/exports/job-%d", i)},
			Result: &jobs.Result{OVA: "/exports/vm.ova", Artifacts: []jobs.Artifact{{Path: "/exports/vm-disk1.vmdk", Kind: "disk", Format: "vmdk", Size: 1 << 34, SHA256: fmt.Sprintf("%064x", i)}}}}
		if j.Status.Terminal() {
			ended := created.Add(time.Minute)
			j.FinishedAt = &ended
		}
		if j.Status == jobs.StatusFailed {
			j.Error = "export disk 1 of vm: lease expired"
		}
		batch = append(batch, j)
	}
	storeTestJobs(b, db, batch...)
	m := jobs.NewManager(jobs.Config{Workers: 1, ConcurrentExports: 1}, db, events.NewBus(), nil, jobs.KVMConfig{}, hclog.NewNullLogger())
	return New(Deps{Log: hclog.NewNullLogger(), Jobs: m, Auth: auth.New(config.Auth{}), Audit: audit.New(db), MaxBodyBytes: 1 << 20, Listen: "127.0.0.1:8080"})
}
