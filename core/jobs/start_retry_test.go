package jobs

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// failingUpdates is a store whose first few job updates fail, as a full disk or an
// unreachable etcd fails them.
type failingUpdates struct {
	store.Backend
	left atomic.Int32
}

var errDiskFull = errors.New("write hypersdk.db: no space left on device")

func (s *failingUpdates) UpdateJob(ctx context.Context, id string, change func([]byte) (store.JobWrite, error)) error {
	if s.left.Add(-1) >= 0 {
		return errDiskFull
	}
	return s.Backend.UpdateJob(ctx, id, change)
}

// A job whose start could not be written stays queued: it starts once the store takes
// writes again, in the same daemon, and the starts that were never stored count no attempt.
func TestAJobWhoseStartCouldNotBeStoredStartsLater(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		failed int32 // updates refused before the store recovers
	}{
		{"one refused start", 1},
		{"three refused starts", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m, db := newStoreManager(t)
			flaky := &failingUpdates{Backend: db}
			m.store = flaky
			p := fake.New()
			if err := p.Configure(context.Background(), provider.Config{}); err != nil {
				t.Fatal(err)
			}
			m.providers = oneProvider{p}
			m.env.Providers = m.providers
			m.cfg.RetryBackoff, m.cfg.BasePath = time.Millisecond, t.TempDir()
			if err := m.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			flaky.left.Store(c.failed)
			accepted, err := m.Submit([]Spec{{VMIdentifier: "vm-001", Provider: "testprovider", ExportMethod: "raw"}}, "")
			if err != nil {
				t.Fatal(err)
			}
			j := waitJobFor(t, m, accepted[0].ID, "it to end", func(j Job) bool { return j.Status.Terminal() })
			if j.Status != StatusCompleted || j.Attempts != 1 {
				t.Errorf("job %s after %d attempts (%q), want completed in 1", j.Status, j.Attempts, j.Error)
			}
			if left := flaky.left.Load(); left >= 0 {
				t.Errorf("%d refused updates were never tried", left+1)
			}
		})
	}
}
