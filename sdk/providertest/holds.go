package providertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// HoldsSuite says how to drive a provider that makes things outside the export directory
// (Info declares provider.CapHolds) through RunHolds.
//
//	providertest.RunHolds(t, p, providertest.HoldsSuite{
//		Settings: map[string]any{"region": "eu-west-1"}, ExportVMID: "vm-1",
//		Exists:   func(h provider.Hold) (bool, error) { return emulator.Has(h.Kind, h.ID), nil },
//	})
type HoldsSuite struct {
	// Settings is the providers.<name> section to configure the provider with.
	Settings map[string]any
	// ExportVMID is a VM whose export records holds and downloads long enough to be
	// cancelled after its first downloading progress event.
	ExportVMID string
	// Method is the export method; default raw.
	Method string
	// Exists says whether what a hold names exists on the platform now (the suite asks an
	// emulator or the cloud). With it, the suite checks that nothing exists before its hold is
	// recorded and nothing is left after the export and the releases; without it, only the
	// host's side is checked.
	Exists func(provider.Hold) (bool, error)
	// Crashing, when set, is a second instance of the provider in a process of its own,
	// configured by the suite with CrashSettings, whose exports die after recording their
	// holds (the test provider's die_mid_export): a plugin killed in the middle of an export.
	// What it leaves is released through the provider under test, a process that never saw it.
	Crashing      provider.Provider
	CrashSettings map[string]any
}

// errRefused is the answer of a host that cannot store a hold or a checkpoint.
var errRefused = errors.New("providertest: the host refuses to store this")

// RunHolds checks, through the real boundary, that a provider records each hold before it
// makes what the hold names and honours the host's refusal; that a successful export leaves
// nothing held (it released its holds itself: Reporter.Released); that after a failure, a
// cancel or a crash, Release undoes what is left — twice, as a host that retries does; and
// that a checkpoint is acknowledged (a refused one stops the export).
func RunHolds(t *testing.T, p provider.Provider, s HoldsSuite) {
	t.Helper()
	if s.Method == "" {
		s.Method = provider.MethodRaw
	}
	ctx := context.Background()
	configure(t, p, s.Settings)
	releaser, ok := p.(provider.Releaser)
	if !ok {
		t.Fatalf("%T records holds but does not implement provider.Releaser", p)
	}
	export := func(ctx context.Context, r provider.Reporter) error {
		_, err := p.ExportVM(ctx, provider.ExportSpec{JobID: "conformance-holds", VMID: s.ExportVMID, Method: s.Method, Dir: t.TempDir()}, r)
		return err
	}
	var recorded int
	t.Run("capability", func(t *testing.T) {
		info, err := p.Info(ctx)
		if err != nil || !hasCapability(info, provider.CapHolds) {
			t.Errorf("Info = %v, %v; a provider that records holds declares %s", info.Capabilities, err, provider.CapHolds)
		}
	})
	t.Run("success releases every hold", func(t *testing.T) {
		w := &holdWatch{Recorder: &Recorder{}, exists: s.Exists}
		if err := export(ctx, w); err != nil {
			t.Fatalf("ExportVM(%s): %v", s.ExportVMID, err)
		}
		recorded = w.HoldsRecorded()
		if recorded == 0 {
			t.Fatalf("the export recorded no hold")
		}
		w.check(t)
		if left := w.Holds(); len(left) > 0 {
			t.Errorf("a successful export left holds to the host: %+v; release them yourself and call Reporter.Released", left)
		}
		gone(t, s.Exists, w.attemptedHolds())
	})
	if recorded == 0 {
		return
	}
	t.Run("a refused hold stops the export before anything is made", func(t *testing.T) {
		w := &holdWatch{Recorder: &Recorder{}, exists: s.Exists, refuseHoldAt: 1}
		if err := export(ctx, w); err == nil {
			t.Fatal("ExportVM went on after the host refused its first hold")
		}
		w.check(t)
		gone(t, s.Exists, w.attemptedHolds())
	})
	t.Run("failure leaves holds that Release undoes", func(t *testing.T) {
		if recorded < 2 {
			t.Skip("the export records one hold: the refused-hold check covers its failure")
		}
		w := &holdWatch{Recorder: &Recorder{}, exists: s.Exists, refuseHoldAt: recorded}
		if err := export(ctx, w); err == nil {
			t.Fatalf("ExportVM went on after the host refused hold %d", recorded)
		}
		releaseLeft(t, releaser, w)
	})
	t.Run("cancel leaves holds that Release undoes", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		w := &holdWatch{Recorder: &Recorder{OnProgress: func(pr provider.Progress) {
			if pr.Phase == provider.PhaseDownloading {
				cancel()
			}
		}}, exists: s.Exists}
		if err := exportWithin(time.Minute, func() error { return export(cctx, w) }); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled export returned %v, want context.Canceled", err)
		}
		releaseLeft(t, releaser, w)
	})
	t.Run("a crash leaves holds that another process releases", func(t *testing.T) {
		if s.Crashing == nil {
			t.Skip("no Crashing provider: a crash is not simulated")
		}
		configure(t, s.Crashing, s.CrashSettings)
		w := &holdWatch{Recorder: &Recorder{}, exists: s.Exists}
		_, err := s.Crashing.ExportVM(ctx, provider.ExportSpec{JobID: "conformance-crash", VMID: s.ExportVMID, Method: s.Method, Dir: t.TempDir()}, w)
		if err == nil {
			t.Fatal("the crashing provider's export succeeded")
		}
		if len(w.Holds()) == 0 {
			t.Fatalf("the crash (%v) left no hold to release; it must die after recording them", err)
		}
		releaseLeft(t, releaser, w)
	})
	t.Run("checkpoint is acknowledged", func(t *testing.T) {
		w := &holdWatch{Recorder: &Recorder{}, exists: s.Exists}
		if err := export(ctx, w); err != nil {
			t.Fatal(err)
		}
		if w.LastCheckpoint() == nil {
			t.Skip("the export checkpoints nothing")
		}
		refused := &holdWatch{Recorder: &Recorder{}, exists: s.Exists, refuseCheckpoint: true}
		if err := export(ctx, refused); err == nil {
			t.Error("ExportVM went on after the host refused its checkpoint")
		}
		releaseLeft(t, releaser, refused)
	})
}

func configure(t *testing.T, p provider.Provider, settings map[string]any) {
	t.Helper()
	cfg, err := provider.NewConfig(settings)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatalf("Configure: %v", err)
	}
}

func hasCapability(info provider.Info, c provider.Capability) bool {
	for _, have := range info.Capabilities {
		if have == c {
			return true
		}
	}
	return false
}

func exportWithin(d time.Duration, run func() error) error {
	done := make(chan error, 1)
	go func() { done <- run() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		return fmt.Errorf("export did not return within %s", d)
	}
}

// releaseLeft releases what the export left held, twice (Release is idempotent), and checks
// that nothing any of its holds named is left.
func releaseLeft(t *testing.T, r provider.Releaser, w *holdWatch) {
	t.Helper()
	w.check(t)
	for round := 1; round <= 2; round++ {
		for _, h := range w.Holds() {
			if err := r.Release(context.Background(), h); err != nil {
				t.Errorf("Release(%s %s), try %d: %v", h.Kind, h.ID, round, err)
			}
		}
	}
	gone(t, w.exists, w.attemptedHolds())
}

// gone checks that nothing the holds name exists.
func gone(t *testing.T, exists func(provider.Hold) (bool, error), holds []provider.Hold) {
	t.Helper()
	if exists == nil {
		return
	}
	for _, h := range holds {
		if ok, err := exists(h); err != nil || ok {
			t.Errorf("%s %s still exists (%v)", h.Kind, h.ID, err)
		}
	}
}

// holdWatch is a Recorder that checks, as each hold arrives, that what it names does not exist
// yet, and refuses the hold numbered refuseHoldAt (1-based) and later ones, or checkpoints.
type holdWatch struct {
	*Recorder
	exists           func(provider.Hold) (bool, error)
	refuseHoldAt     int
	refuseCheckpoint bool

	mu        sync.Mutex
	attempted []provider.Hold
	early     []string
}

func (w *holdWatch) Hold(ctx context.Context, h provider.Hold) error {
	w.mu.Lock()
	first := true
	for _, a := range w.attempted {
		first = first && (a.Kind != h.Kind || a.ID != h.ID)
	}
	w.attempted = append(w.attempted, h)
	n := len(w.attempted)
	w.mu.Unlock()
	// Recording a hold again (with what the platform named since) replaces it: only the first
	// recording must come before the thing exists.
	if w.exists != nil && first {
		if ok, err := w.exists(h); err != nil || ok {
			w.mu.Lock()
			w.early = append(w.early, fmt.Sprintf("%s %s (exists: %v, %v)", h.Kind, h.ID, ok, err))
			w.mu.Unlock()
		}
	}
	if w.refuseHoldAt > 0 && n >= w.refuseHoldAt {
		return errRefused
	}
	return w.Recorder.Hold(ctx, h)
}

func (w *holdWatch) Checkpoint(ctx context.Context, token []byte) error {
	if w.refuseCheckpoint {
		return errRefused
	}
	return w.Recorder.Checkpoint(ctx, token)
}

func (w *holdWatch) attemptedHolds() []provider.Hold {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]provider.Hold(nil), w.attempted...)
}

// check reports holds whose thing existed before the hold was recorded.
func (w *holdWatch) check(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.early {
		t.Errorf("made before its hold was recorded: %s", e)
	}
}
