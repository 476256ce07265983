package jobs

import (
	"encoding/json"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/hypersdk/hypersdk/core/store"
)

// ErrNotFound means no job has that id.
var ErrNotFound = errors.New("job not found")

func putJob(tx *bolt.Tx, j *Job) error {
	raw, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("encode job %s: %w", j.ID, err)
	}
	return store.PutJob(tx, indexEntry(j), raw)
}

// indexEntry is what the store's job index keeps of j; an ended job can expire from then on.
func indexEntry(j *Job) store.JobEntry {
	e := store.JobEntry{ID: j.ID, Status: string(j.Status), CreatedAt: j.CreatedAt}
	if j.Status.Terminal() && j.FinishedAt != nil {
		e.FinishedAt = *j.FinishedAt
	}
	return e
}

func getJob(tx *bolt.Tx, id string) (Job, error) {
	raw := tx.Bucket(store.BucketJobs).Get([]byte(id))
	if raw == nil {
		return Job{}, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	var j Job
	if err := json.Unmarshal(raw, &j); err != nil {
		return Job{}, fmt.Errorf("decode job %s: %w", id, err)
	}
	return j, nil
}

// save commits a job record; every state change goes through here before it is acted on.
func (m *Manager) save(j *Job) error {
	return m.store.Update(func(tx *bolt.Tx) error { return putJob(tx, j) })
}

// update reads, changes and writes one job in a single transaction.
func (m *Manager) update(id string, change func(*Job) error) (Job, error) {
	var out Job
	err := m.store.Update(func(tx *bolt.Tx) error {
		j, err := getJob(tx, id)
		if err != nil {
			return err
		}
		if err := change(&j); err != nil {
			return err
		}
		out = j
		return putJob(tx, &j)
	})
	return out, err
}

// Get returns a job as last committed, with live progress when it is running.
func (m *Manager) Get(id string) (Job, error) {
	var j Job
	err := m.store.View(func(tx *bolt.Tx) (err error) {
		j, err = getJob(tx, id)
		return err
	})
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
	var total int
	err := m.store.View(func(tx *bolt.Tx) (err error) {
		total, err = store.JobPage(tx, string(o.Status), o.Offset, o.Limit, func(raw []byte) error {
			var j Job
			if err := json.Unmarshal(raw, &j); err != nil {
				return fmt.Errorf("decode job: %w", err)
			}
			page = append(page, j)
			return nil
		})
		return err
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
	err := m.store.View(func(tx *bolt.Tx) error {
		for s, n := range store.JobCounts(tx) {
			out[s] = float64(n)
		}
		return nil
	})
	if err != nil {
		m.log.Error("cannot read job counts", "error", err)
	}
	return out
}
