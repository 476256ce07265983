package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hypersdk/hypersdk/core/store"
)

// ErrNotFound means no job has that id.
var ErrNotFound = errors.New("job not found")

// jobWrite is j as the store keeps it: its JSON record and its index entry, fenced by the
// claim this node holds on it (0 without one).
func (m *Manager) jobWrite(j *Job) (store.JobWrite, error) {
	raw, err := json.Marshal(j)
	if err != nil {
		return store.JobWrite{}, fmt.Errorf("encode job %s: %w", j.ID, err)
	}
	return store.JobWrite{Entry: indexEntry(j), Record: raw, Fence: m.fence(j.ID)}, nil
}

// fence is the token of this node's claim on a job, checked by every write of it (0: none).
func (m *Manager) fence(id string) int64 { return m.claimToken(id) }

// indexEntry is what the store's job index keeps of j; an ended job can expire from then on.
func indexEntry(j *Job) store.JobEntry {
	e := store.JobEntry{ID: j.ID, Status: string(j.Status), CreatedAt: j.CreatedAt}
	if j.Status.Terminal() && j.FinishedAt != nil {
		e.FinishedAt = *j.FinishedAt
	}
	return e
}

func decodeJob(id string, raw []byte) (Job, error) {
	var j Job
	if err := json.Unmarshal(raw, &j); err != nil {
		return Job{}, fmt.Errorf("decode job %s: %w", id, err)
	}
	return j, nil
}

// getJob reads one job as committed.
func (m *Manager) getJob(id string) (Job, error) {
	raw, err := m.store.GetJob(context.Background(), id)
	if errors.Is(err, store.ErrNotFound) {
		return Job{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if err != nil {
		return Job{}, fmt.Errorf("read job %s: %w", id, err)
	}
	return decodeJob(id, raw)
}

// save commits a job record; every state change goes through here before it is acted on.
func (m *Manager) save(j *Job) error {
	w, err := m.jobWrite(j)
	if err != nil {
		return err
	}
	err = m.store.PutJob(context.Background(), w)
	m.fencedOut(j.ID, err)
	return err
}

// update reads, changes and writes one job atomically.
func (m *Manager) update(id string, change func(*Job) error) (Job, error) {
	var out Job
	err := m.store.UpdateJob(context.Background(), id, func(raw []byte) (store.JobWrite, error) {
		j, err := decodeJob(id, raw)
		if err != nil {
			return store.JobWrite{}, err
		}
		if err := change(&j); err != nil {
			return store.JobWrite{}, err
		}
		out = j
		return m.jobWrite(&j)
	})
	if errors.Is(err, store.ErrNotFound) {
		return out, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	m.fencedOut(id, err) // cluster.go
	return out, err
}

// Get returns a job as last committed, with live progress when it is running.
func (m *Manager) Get(id string) (Job, error) {
	j, err := m.getJob(id)
	if err != nil {
		return j, err
	}
	if r := m.liveRun(id); r != nil {
		j.Progress = r.tracker.current()
	}
	return j, nil
}

// ListOptions filter and page GET /jobs.
type ListOptions struct {
	Status Status
	Limit  int
	Offset int
}

// List returns jobs newest first (ties by id), and how many matched before paging. It reads
// the page through the store's job index: only the jobs on the page are decoded.
func (m *Manager) List(o ListOptions) ([]Job, int, error) {
	page := []Job{}
	total, err := m.store.JobPage(context.Background(), string(o.Status), o.Offset, o.Limit, func(raw []byte) error {
		var j Job
		if err := json.Unmarshal(raw, &j); err != nil {
			return fmt.Errorf("decode job: %w", err)
		}
		page = append(page, j)
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list jobs: %w", err)
	}
	return page, total, nil
}

// CountByStatus counts jobs per status, for the metrics endpoint: the store keeps the counts
// with every job write, so a scrape reads five numbers.
func (m *Manager) CountByStatus() map[string]float64 {
	out := map[string]float64{}
	for _, s := range []Status{StatusPending, StatusRunning, StatusCompleted, StatusFailed, StatusCancelled} {
		out[string(s)] = 0
	}
	counts, err := m.store.JobCounts(context.Background())
	for s, n := range counts {
		out[s] = float64(n)
	}
	if err != nil {
		m.log.Error("cannot read job counts", "error", err)
	}
	return out
}
