package providertest

import (
	"context"
	"sync"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Recorder is a provider.Reporter that keeps what an export reported, the way the host would:
// holds recorded and not yet released, the last checkpoint. It is safe for concurrent use.
// OnProgress, when set, sees every progress event (a test cancels from it); Refuse, when set,
// is returned to every Hold and Checkpoint, as a host that cannot store them answers.
type Recorder struct {
	OnProgress func(provider.Progress)
	Refuse     error

	mu         sync.Mutex
	progress   []provider.Progress
	checkpoint []byte
	holds      map[string]provider.Hold // by kind/id, held now
	everHeld   int
}

var _ provider.Reporter = (*Recorder)(nil)

func (r *Recorder) Progress(p provider.Progress) {
	r.mu.Lock()
	r.progress = append(r.progress, p)
	r.mu.Unlock()
	if r.OnProgress != nil {
		r.OnProgress(p)
	}
}

func (r *Recorder) Checkpoint(_ context.Context, token []byte) error {
	if r.Refuse != nil {
		return r.Refuse
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checkpoint = append([]byte(nil), token...)
	return nil
}

func (r *Recorder) Hold(_ context.Context, h provider.Hold) error {
	if r.Refuse != nil {
		return r.Refuse
	}
	if err := h.Validate(); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.holds == nil {
		r.holds = map[string]provider.Hold{}
	}
	r.holds[h.Kind+"/"+h.ID] = h
	r.everHeld++
	return nil
}

func (r *Recorder) Released(_ context.Context, h provider.Hold) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.holds, h.Kind+"/"+h.ID)
	return nil
}

// Events returns the progress events so far.
func (r *Recorder) Events() []provider.Progress {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]provider.Progress(nil), r.progress...)
}

// LastCheckpoint returns the last token stored, or nil.
func (r *Recorder) LastCheckpoint() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.checkpoint...)
}

// Holds returns the holds recorded and not released by the provider itself.
func (r *Recorder) Holds() []provider.Hold {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]provider.Hold, 0, len(r.holds))
	for _, h := range r.holds {
		out = append(out, h)
	}
	return out
}

// HoldsRecorded counts every Hold call that was stored, released or not.
func (r *Recorder) HoldsRecorded() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.everHeld
}
