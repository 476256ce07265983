package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// How a job's holds are released: when the job ends by any road — completed, failed, cancelled,
// timed out (finish) — and at start-up for every ended job that still has some (releaseAtStart), the
// last recorded first (a grant before the snapshot it locks, a lease before the VM's power).
// Between the attempts of a running job they stay: the retry may use them.
// Each try goes through the provider instance that recorded the hold and is committed —
// released, or release_failed with its error — and a try that could go better later (the
// plugin is restarting, the platform answered with an error) is retried with backoff, doubling
// from holdBackoff to maxHoldBackoff, for as long as the daemon runs.
const (
	defaultHoldBackoff = time.Second
	maxHoldBackoff     = 5 * time.Minute
	// releaseTimeout bounds one Release call; the pluginhost waits that long for a plugin that
	// is starting or restarting.
	releaseTimeout = 2 * time.Minute
	// maxHoldErrorBytes bounds the last_error a hold keeps.
	maxHoldErrorBytes = 1 << 10
)

// errCannotRelease marks a release that no retry can make succeed while the daemon runs with
// this configuration: no such provider instance, or one that cannot release. The next start
// tries again.
var errCannotRelease = errors.New("cannot release")

// releaseRetryable says whether another try could release the hold.
func releaseRetryable(err error) bool {
	for _, s := range []error{errCannotRelease, provider.ErrUnsupported, provider.ErrInvalidArgument} {
		if errors.Is(err, s) {
			return false
		}
	}
	return true
}

// releaseAtStart releases the holds of the ended jobs Start found with some not released (a
// daemon killed between a job's end and its releases). A job queued again keeps its holds for
// its retry; they are released when it ends.
func (m *Manager) releaseAtStart(ids []string) {
	for _, id := range ids {
		m.holdGates.pin(id)
		if m.beginRelease(id) {
			m.releaseHolds(id, true)
		}
	}
	if len(ids) > 0 {
		m.log.Info("releasing the holds that jobs left", "jobs", len(ids))
	}
}

// releaseHolds starts the job's release loop, or wakes the one that waits out its backoff.
// claimed says the caller already began the first try (beginRelease).
func (m *Manager) releaseHolds(id string, claimed bool) {
	ctx := m.runCtx
	if ctx == nil { // not started: Start releases what is left
		if claimed {
			m.endRelease(id)
		}
		return
	}
	g := &m.holdGates
	g.mu.Lock()
	jg := g.gate(id)
	if jg.looping {
		select {
		case jg.kick <- struct{}{}:
		default:
		}
		g.mu.Unlock()
		return
	}
	jg.looping = true
	kick := jg.kick
	g.mu.Unlock()
	m.wg.Add(1)
	go m.releaseLoop(ctx, id, claimed, kick)
}

func (m *Manager) releaseLoop(ctx context.Context, id string, claimed bool, kick <-chan struct{}) {
	defer m.wg.Done()
	wait := m.holdBackoff
	if wait <= 0 {
		wait = defaultHoldBackoff
	}
	for {
		retry := false
		if claimed || m.beginRelease(id) {
			claimed = false
			retry = m.releaseTry(ctx, id)
			m.endRelease(id)
		} // else its export runs, and that export's end releases again
		if !retry || ctx.Err() != nil {
			if m.endLoop(ctx, id) {
				return
			}
			continue // woken meanwhile: go again now
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		case <-kick:
		}
		wait = min(2*wait, maxHoldBackoff)
	}
}

// endLoop ends the job's release loop unless it was woken since its last try.
func (m *Manager) endLoop(ctx context.Context, id string) bool {
	g := &m.holdGates
	g.mu.Lock()
	defer g.mu.Unlock()
	jg := g.gate(id)
	if ctx.Err() == nil {
		select {
		case <-jg.kick:
			return false
		default:
		}
	}
	jg.looping = false
	g.forget(id, jg)
	return true
}

// releaseTry tries each of the job's holds not released yet, once, and commits how each went.
// It says whether a retry could release what is left.
func (m *Manager) releaseTry(ctx context.Context, id string) (retry bool) {
	if ctx.Err() != nil {
		return true
	}
	j, err := m.Get(id)
	if errors.Is(err, ErrNotFound) {
		m.holdGates.unpin(id)
		return false
	}
	if err != nil {
		m.log.Error("cannot read the job whose holds to release", "job_id", id, "error", err)
		return true
	}
	left := 0
	for i := len(j.Holds) - 1; i >= 0; i-- {
		h := j.Holds[i]
		if h.State == HoldReleased {
			continue
		}
		err := m.releaseOne(ctx, id, h)
		if err != nil && ctx.Err() != nil {
			return true // the daemon is stopping: not the provider's failure
		}
		rec, cerr := m.recordRelease(id, h, err)
		switch {
		case cerr != nil:
			m.log.Error("cannot record how a hold's release went", "job_id", id, "provider", h.Provider, "kind", h.Kind, "hold", h.ID, "released", err == nil, "error", cerr)
			left++
			retry = true
		case err == nil:
			m.log.Info("hold released", "job_id", id, "provider", h.Provider, "kind", h.Kind, "hold", h.ID, "attempt", rec.Attempts)
		default:
			left++
			again := releaseRetryable(err)
			retry = retry || again
			m.log.Warn("cannot release hold", "job_id", id, "provider", h.Provider, "kind", h.Kind, "hold", h.ID, "attempt", rec.Attempts, "retrying", again, "error", err)
		}
	}
	if left == 0 {
		m.holdGates.unpin(id)
	}
	return retry
}

// releaseOne hands one hold to the provider instance that recorded it.
func (m *Manager) releaseOne(ctx context.Context, jobID string, h Hold) error {
	if m.providers == nil {
		return fmt.Errorf("%w: provider instance %q is not configured", errCannotRelease, h.Provider)
	}
	p, err := m.providers.Provider(h.Provider)
	if err != nil {
		return fmt.Errorf("%w: provider instance %q is not configured any more: %w", errCannotRelease, h.Provider, err)
	}
	r, ok := p.(provider.Releaser)
	if !ok {
		return fmt.Errorf("%w: provider %q does not implement Release", errCannotRelease, h.Provider)
	}
	ctx, cancel := context.WithTimeout(provider.WithJobID(ctx, jobID), releaseTimeout)
	defer cancel()
	return r.Release(ctx, h.Hold)
}

// recordRelease commits one try's outcome to the hold it was for — the same record, not one
// recorded again since under the same id — and returns the hold as committed.
func (m *Manager) recordRelease(id string, h Hold, released error) (Hold, error) {
	var out Hold
	_, err := m.update(id, func(j *Job) error {
		now := time.Now().UTC()
		for i := range j.Holds {
			rec := &j.Holds[i]
			if rec.Kind != h.Kind || rec.ID != h.ID || !rec.RecordedAt.Equal(h.RecordedAt) || rec.State == HoldReleased {
				continue
			}
			rec.Attempts++
			if released == nil {
				rec.State, rec.ReleasedAt, rec.LastError = HoldReleased, &now, ""
			} else {
				rec.State, rec.LastError = HoldReleaseFailed, truncate(released.Error(), maxHoldErrorBytes)
			}
			out = *rec
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("store the release of hold %s/%s: %w", h.Kind, h.ID, err)
	}
	return out, nil
}

// hasUnreleased reports whether any of the holds is not released yet.
func hasUnreleased(holds []Hold) bool {
	for _, h := range holds {
		if h.State != HoldReleased {
			return true
		}
	}
	return false
}

// truncate cuts s to at most n bytes, at a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
