package jobs

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// failsOnceAfterHolding is the test provider in cloud mode whose first export records a hold
// (a VM it powered off, say) and fails; it notes every Release the host makes and when.
type failsOnceAfterHolding struct {
	provider.Provider
	mu       sync.Mutex
	exports  int
	released []string // "<kind>/<id> during export N"
}

func (p *failsOnceAfterHolding) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	p.mu.Lock()
	p.exports++
	n := p.exports
	p.mu.Unlock()
	if n == 1 {
		if err := r.Hold(ctx, provider.Hold{Kind: provider.HoldPower, ID: "vm-001"}); err != nil {
			return provider.ExportResult{}, err
		}
		return provider.ExportResult{}, fmt.Errorf("lease expired: %w", provider.ErrUnavailable)
	}
	return p.Provider.ExportVM(ctx, spec, r)
}

func (p *failsOnceAfterHolding) Release(ctx context.Context, h provider.Hold) error {
	p.mu.Lock()
	p.released = append(p.released, fmt.Sprintf("%s/%s after export %d", h.Kind, h.ID, p.exports))
	p.mu.Unlock()
	if h.Kind == provider.HoldPower {
		return nil
	}
	return p.Provider.(provider.Releaser).Release(ctx, h)
}

// A failed attempt's holds stay for the retry — the retry may rely on them (a VM kept off so
// the disks already exported still match it) — and are released when the job ends.
func TestHoldsOutliveAFailedAttemptUntilTheJobEnds(t *testing.T) {
	t.Parallel()
	m, fakeCloud, state := cloudManager(t, nil)
	p := &failsOnceAfterHolding{Provider: fakeCloud}
	m.providers = oneProvider{p}
	m.env.Providers = m.providers
	m.cfg.MaxRetries = 2
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	j := waitJobFor(t, m, submitOne(t, m), "completed with its holds released", func(j Job) bool { return j.Status.Terminal() && allReleased(j) })
	if j.Status != StatusCompleted || j.Attempts != 2 {
		t.Fatalf("job = %s after %d attempts (%q); want completed on its second", j.Status, j.Attempts, j.Error)
	}
	p.mu.Lock()
	released := fmt.Sprint(p.released)
	p.mu.Unlock()
	if released != "[power/vm-001 after export 2]" {
		t.Errorf("releases by the host: %s; want the first attempt's power hold released once, after the job's last export", released)
	}
	if n := cloudLeft(t, state); n != 0 {
		t.Errorf("%d resources left in the fake cloud", n)
	}
}
