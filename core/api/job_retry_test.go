package api

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

type retryProviders struct{ p provider.Provider }

func (r retryProviders) Provider(string) (provider.Provider, error) { return r.p, nil }

// A retry is a new job with the same request: a failed job whose export_path was left to the
// default (<export.base_path>/<job id>) gets a folder of the retry's own id, not the failed
// job's — so the retry does not write over what the failed job left, and a second retry of
// the same job is not refused as writing the first retry's folder.
func TestRetryGetsAnExportFolderOfItsOwn(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	p := fake.New()
	if err := p.Configure(context.Background(), provider.Config{}); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "jobs.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Now().UTC()
	failedDir := filepath.Join(base, "job-failed")
	storeTestJobs(t, db, jobs.Job{ID: "job-failed", Kind: jobs.KindExport, Status: jobs.StatusFailed, CreatedAt: now, FinishedAt: &now, ExportDir: failedDir,
		Spec: jobs.Spec{VMIdentifier: "vm-001", Provider: "testprovider", ExportMethod: "vmdk", ExportPath: failedDir}})
	m := jobs.NewManager(jobs.Config{Workers: 1, ConcurrentExports: 1, BasePath: base}, db, events.NewBus(), retryProviders{p}, jobs.KVMConfig{}, hclog.NewNullLogger())
	srv := testServer(t, Deps{Jobs: m})
	dirs := map[string]string{"job-failed": failedDir}
	for i := range 2 {
		status, body, _ := send(t, srv, testRequest{method: "POST", path: "/jobs/retry/job-failed", header: map[string]string{"Content-Type": "application/json"}})
		var got SubmitResponse
		if status != 202 || json.Unmarshal([]byte(body), &got) != nil {
			t.Fatalf("retry %d of job-failed = %d %s, want 202", i+1, status, body)
		}
		j, err := m.Get(got.JobID)
		if err != nil {
			t.Fatal(err)
		}
		if want := filepath.Join(base, j.ID); j.ExportDir != want {
			t.Errorf("retry %d (%s) writes %s, want its own folder %s", i+1, j.ID, j.ExportDir, want)
		}
		for id, dir := range dirs {
			if j.ExportDir == dir {
				t.Errorf("retry %d (%s) writes %s, the folder of %s", i+1, j.ID, dir, id)
			}
		}
		dirs[j.ID] = j.ExportDir
	}
}
