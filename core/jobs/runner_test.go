package jobs

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/pipeline"
	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// corrupting is the SDK's fake provider reporting a wrong checksum for every disk it exports,
// and counting its exports.
type corrupting struct {
	*fake.Provider
	exports atomic.Int32
}

func (c *corrupting) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	c.exports.Add(1)
	res, err := c.Provider.ExportVM(ctx, spec, r)
	for i := range res.Artifacts {
		res.Artifacts[i].SHA256 = "0000000000000000000000000000000000000000000000000000000000000000"
	}
	return res, err
}

type oneProvider struct{ p provider.Provider }

func (o oneProvider) Provider(string) (provider.Provider, error) { return o.p, nil }

// A step whose failure spoils an earlier one's work has that step run again: a disk that fails
// verification is exported again by the retry, and the job's steps say where it stopped.
func TestVerifyFailureExportsAgain(t *testing.T) {
	t.Parallel()
	m, _ := newStoreManager(t)
	p := &corrupting{Provider: fake.New()}
	if err := p.Configure(context.Background(), provider.Config{}); err != nil {
		t.Fatal(err)
	}
	m.providers = oneProvider{p}
	m.env.Providers = m.providers
	m.cfg.MaxRetries, m.cfg.RetryBackoff, m.cfg.BasePath = 1, time.Millisecond, t.TempDir()
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	accepted, err := m.Submit([]Spec{{VMIdentifier: "vm-001", Provider: "testprovider", ExportMethod: "vmdk"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	var j Job
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if j, err = m.Get(accepted[0].ID); err == nil && j.Status.Terminal() {
			break
		}
	}
	if j.Status != StatusFailed || j.Attempts != 2 {
		t.Fatalf("job = %s after %d attempts (%v), want failed after 2", j.Status, j.Attempts, j.Error)
	}
	if got := p.exports.Load(); got != 2 {
		t.Errorf("the provider exported %d times over 2 attempts, want each attempt to export again", got)
	}
	want := []struct{ name, state string }{{pipeline.StepExport, StepPending}, {pipeline.StepVerify, StepFailed}, {pipeline.StepPackage, StepPending}}
	for i, w := range want {
		if i >= len(j.Steps) || j.Steps[i].Name != w.name || j.Steps[i].State != w.state {
			t.Fatalf("steps = %+v, want %v", j.Steps, want)
		}
	}
}
