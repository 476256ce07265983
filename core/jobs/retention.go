package jobs

import (
	"context"
	"fmt"
	"time"
)

// pruneBatch bounds one transaction of a prune, so the first sweep over a large backlog does not
// hold the database's write lock for the whole backlog at once.
const pruneBatch = 500

// sweepEvery is how often ended jobs are checked against database.job_retention: a job is
// deleted at most this long after it expired.
const sweepEvery = time.Hour

// Prune deletes the jobs that ended (completed, failed or cancelled) more than olderThan ago,
// with their logs, and says how many it deleted. A pending or running job is never deleted,
// whatever its age; it finds the expired jobs through the store's index of ended jobs, oldest
// first, so it costs what it deletes, not what is stored.
func (m *Manager) Prune(ctx context.Context, olderThan time.Duration) (int, error) {
	if olderThan < 0 {
		return 0, &FieldError{Field: "older_than", Message: "must not be negative"}
	}
	cutoff := nowFunc().Add(-olderThan)
	removed := 0
	for {
		if err := ctx.Err(); err != nil {
			return removed, fmt.Errorf("prune jobs ended before %s: %w", cutoff.UTC().Format(time.RFC3339), err)
		}
		ids, err := m.store.FinishedBefore(ctx, cutoff, pruneBatch)
		if err != nil {
			return removed, fmt.Errorf("prune jobs ended before %s: %w", cutoff.UTC().Format(time.RFC3339), err)
		}
		var free []string
		for _, id := range ids {
			if m.liveRun(id) != nil || m.holdGates.isPinned(id) { // ended, but its worker has not let go of it yet, or its holds are not all released
				continue
			}
			free = append(free, id)
		}
		found, deleted := len(ids), 0
		if len(free) > 0 {
			if deleted, err = m.store.DeleteJobs(ctx, free); err != nil {
				return removed, fmt.Errorf("prune jobs ended before %s: %w", cutoff.UTC().Format(time.RFC3339), err)
			}
		}
		removed += deleted
		if found < pruneBatch || deleted == 0 {
			return removed, nil
		}
	}
}

// Retention is database.job_retention: how long an ended job is kept (0: forever).
func (m *Manager) Retention() time.Duration { return m.cfg.Retention }

// startRetention sweeps expired jobs now and then every sweepEvery (or every retention, when
// that is shorter, but not more than once a minute), until the manager closes.
func (m *Manager) startRetention(ctx context.Context) {
	if m.cfg.Retention <= 0 {
		return
	}
	every := max(min(sweepEvery, m.cfg.Retention), time.Minute)
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			m.sweep(ctx)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
}

func (m *Manager) sweep(ctx context.Context) {
	n, err := m.Prune(ctx, m.cfg.Retention)
	switch {
	case err != nil && ctx.Err() == nil:
		m.log.Error("cannot delete expired jobs", "retention", m.cfg.Retention, "error", err)
	case n > 0:
		m.log.Info("expired jobs deleted with their logs", "removed", n, "retention", m.cfg.Retention)
	}
}
