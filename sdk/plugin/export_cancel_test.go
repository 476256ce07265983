package plugin

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// unwindingProvider holds a snapshot, then waits to be cancelled and takes its time to unwind,
// deleting the snapshot and saying so, as a cloud provider cleaning up after a cancel does.
type unwindingProvider struct {
	holdingProvider
	unwind   time.Duration
	returned *atomic.Bool
}

func (p unwindingProvider) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	defer p.returned.Store(true)
	snap := provider.Hold{Kind: provider.HoldSnapshot, ID: "snap-1"}
	if err := r.Hold(ctx, snap); err != nil {
		return provider.ExportResult{}, err
	}
	r.Progress(provider.Progress{Phase: provider.PhaseDownloading})
	<-ctx.Done()
	time.Sleep(p.unwind)
	if err := r.Released(context.WithoutCancel(ctx), snap); err != nil {
		return provider.ExportResult{}, errors.Join(ctx.Err(), err)
	}
	return provider.ExportResult{}, ctx.Err()
}

// A cancelled export returns to the host only once the plugin's export has stopped, and what it
// reports while it unwinds is still stored.
func TestACancelledExportIsHeardUntilItStops(t *testing.T) {
	t.Parallel()
	var returned atomic.Bool
	p := ConnectInProcess(t, unwindingProvider{unwind: 300 * time.Millisecond, returned: &returned})
	ctx, cancel := context.WithCancel(context.Background())
	rec := &providertest.Recorder{OnProgress: func(provider.Progress) { cancel() }}
	_, err := p.ExportVM(ctx, provider.ExportSpec{VMID: "vm-1", Method: provider.MethodRaw, Dir: t.TempDir()}, rec)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("ExportVM = %v, want context.Canceled", err)
	}
	if !returned.Load() {
		t.Error("ExportVM returned to the host while the plugin's export was still unwinding")
	}
	if left := rec.Holds(); len(left) != 0 || rec.HoldsRecorded() != 1 {
		t.Errorf("holds left %v of %d recorded; the release reported while unwinding was lost", left, rec.HoldsRecorded())
	}
}
