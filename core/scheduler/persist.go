package scheduler

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/hypersdk/hypersdk/core/store"
)

// Schedules and policies are stored as JSON under their ids in the schedules and policies
// buckets; these helpers read and change them in single transactions.

func (s *Scheduler) put(bucket []byte, id string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.store.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(id), raw) })
}

func get[T any](s *Scheduler, bucket []byte, id string) (T, error) {
	var v T
	err := s.store.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucket).Get([]byte(id))
		if raw == nil {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		return json.Unmarshal(raw, &v)
	})
	return v, err
}

func list[T any](s *Scheduler, bucket []byte) ([]T, error) {
	var out []T
	err := s.store.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucket).ForEach(func(_, raw []byte) error {
			var v T
			if err := json.Unmarshal(raw, &v); err != nil {
				return err
			}
			out = append(out, v)
			return nil
		})
	})
	return out, err
}

func update[T any](s *Scheduler, bucket []byte, id string, change func(*T) error) error {
	return s.store.Update(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucket).Get([]byte(id))
		if raw == nil {
			return fmt.Errorf("%w: %s", ErrNotFound, id)
		}
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		if err := change(&v); err != nil {
			return err
		}
		out, err := json.Marshal(v)
		if err != nil {
			return err
		}
		return tx.Bucket(bucket).Put([]byte(id), out)
	})
}

func (s *Scheduler) updateSchedule(id string, f func(*Schedule) error) error {
	return update(s, store.BucketSchedules, id, f)
}

func (s *Scheduler) updatePolicy(id string, f func(*Policy) error) error {
	return update(s, store.BucketPolicies, id, f)
}

// GetSchedule returns one schedule.
func (s *Scheduler) GetSchedule(id string) (Schedule, error) {
	return get[Schedule](s, store.BucketSchedules, id)
}

// GetPolicy returns one policy.
func (s *Scheduler) GetPolicy(id string) (Policy, error) {
	return get[Policy](s, store.BucketPolicies, id)
}

// ListSchedules returns every schedule, oldest first.
func (s *Scheduler) ListSchedules() ([]Schedule, error) {
	out, err := list[Schedule](s, store.BucketSchedules)
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}

// ListPolicies returns every policy, oldest first.
func (s *Scheduler) ListPolicies() ([]Policy, error) {
	out, err := list[Policy](s, store.BucketPolicies)
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}

func isPolicyJob(scheduleID string) (string, bool) {
	return strings.CutPrefix(scheduleID, policyPrefix)
}
