package jobs

import (
	"context"
	"sync"

	"github.com/hypersdk/hypersdk/core/pipeline"
)

// holdGates keeps, per job, a release of its holds and its export apart: a release never runs
// while the job's export does (a new attempt may record a hold again under the same id, and
// releasing it then would undo what that attempt is using), and an export waits for a release
// in flight. It also knows which jobs may still have holds to release (pinned), for the counts
// in /capabilities and /metrics and so that retention never deletes such a job.
type holdGates struct {
	mu     sync.Mutex
	jobs   map[string]*holdGate
	pinned map[string]struct{}
}

// holdGate is one job's: whether its export runs, whether a release try runs (idle is closed
// when it ends) and whether a release loop is alive (kick wakes it from its backoff).
type holdGate struct {
	exporting bool
	releasing bool
	idle      chan struct{}
	looping   bool
	kick      chan struct{}
}

var _ pipeline.HoldKeeper = (*Manager)(nil)

// gate returns the job's gate, making it; the caller holds g.mu.
func (g *holdGates) gate(id string) *holdGate {
	if g.jobs == nil {
		g.jobs = map[string]*holdGate{}
	}
	jg, ok := g.jobs[id]
	if !ok {
		jg = &holdGate{kick: make(chan struct{}, 1)}
		g.jobs[id] = jg
	}
	return jg
}

// forget drops the job's gate once nothing uses it; the caller holds g.mu.
func (g *holdGates) forget(id string, jg *holdGate) {
	if !jg.exporting && !jg.releasing && !jg.looping {
		delete(g.jobs, id)
	}
}

// pin notes that the job may have holds to release.
func (g *holdGates) pin(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.pinned == nil {
		g.pinned = map[string]struct{}{}
	}
	g.pinned[id] = struct{}{}
}

func (g *holdGates) unpin(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.pinned, id)
}

// isPinned reports whether the job may have holds to release.
func (g *holdGates) isPinned(id string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.pinned[id]
	return ok
}

func (g *holdGates) pinnedJobs() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]string, 0, len(g.pinned))
	for id := range g.pinned {
		out = append(out, id)
	}
	return out
}

// ExportStarting waits until no release of the job's holds is in flight, and keeps releases
// off until ExportEnded.
func (m *Manager) ExportStarting(ctx context.Context, jobID string) error {
	g := &m.holdGates
	g.mu.Lock()
	for {
		jg := g.gate(jobID)
		if !jg.releasing {
			jg.exporting = true
			g.mu.Unlock()
			return nil
		}
		idle := jg.idle
		g.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
		g.mu.Lock()
	}
}

// ExportEnded lets releases of the job's holds run again. It releases nothing itself: a failed
// attempt's holds stay for the retry (a grant behind a checkpointed URL, a VM kept off so the
// disks already exported still match it) until the job ends (finish) or the daemon restarts.
func (m *Manager) ExportEnded(jobID string) {
	g := &m.holdGates
	g.mu.Lock()
	defer g.mu.Unlock()
	jg := g.gate(jobID)
	jg.exporting = false
	g.forget(jobID, jg)
}

// beginRelease claims the job for one release try, unless its export runs.
func (m *Manager) beginRelease(jobID string) bool {
	g := &m.holdGates
	g.mu.Lock()
	defer g.mu.Unlock()
	jg := g.gate(jobID)
	if jg.exporting || jg.releasing {
		return false
	}
	jg.releasing, jg.idle = true, make(chan struct{})
	return true
}

// endRelease lets a waiting export go on.
func (m *Manager) endRelease(jobID string) {
	g := &m.holdGates
	g.mu.Lock()
	defer g.mu.Unlock()
	jg := g.gate(jobID)
	jg.releasing = false
	close(jg.idle)
}
