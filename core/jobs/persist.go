package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"

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
	return tx.Bucket(store.BucketJobs).Put([]byte(j.ID), raw)
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

// List returns jobs newest first, and how many matched before paging.
func (m *Manager) List(o ListOptions) ([]Job, int, error) {
	var all []Job
	err := m.store.View(func(tx *bolt.Tx) error {
		return tx.Bucket(store.BucketJobs).ForEach(func(_, raw []byte) error {
			var j Job
			if err := json.Unmarshal(raw, &j); err != nil {
				return err
			}
			if o.Status == "" || j.Status == o.Status {
				all = append(all, j)
			}
			return nil
		})
	})
	if err != nil {
		return nil, 0, err
	}
	sort.Slice(all, func(a, b int) bool { return all[a].CreatedAt.After(all[b].CreatedAt) })
	total := len(all)
	if o.Offset >= len(all) {
		return []Job{}, total, nil
	}
	all = all[o.Offset:]
	if o.Limit > 0 && len(all) > o.Limit {
		all = all[:o.Limit]
	}
	return all, total, nil
}

// CountByStatus counts jobs per status, for the metrics endpoint.
func (m *Manager) CountByStatus() map[string]float64 {
	out := map[string]float64{}
	for _, s := range []Status{StatusPending, StatusRunning, StatusCompleted, StatusFailed, StatusCancelled} {
		out[string(s)] = 0
	}
	m.store.View(func(tx *bolt.Tx) error {
		return tx.Bucket(store.BucketJobs).ForEach(func(_, raw []byte) error {
			var j struct {
				Status Status `json:"status"`
			}
			if json.Unmarshal(raw, &j) == nil {
				out[string(j.Status)]++
			}
			return nil
		})
	})
	return out
}
