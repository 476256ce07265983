package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/hypersdk/hypersdk/core/store"
)

// Schedules and policies are stored as JSON under their ids in the store's schedules and
// policies collections; these helpers read and change them, each atomically.

func (s *Scheduler) put(c store.Collection, id string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.store.PutRecord(context.Background(), c, id, raw)
}

// notFound turns the store's ErrNotFound into the scheduler's.
func notFound(err error, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return err
}

func get[T any](s *Scheduler, c store.Collection, id string) (T, error) {
	var v T
	raw, err := s.store.GetRecord(context.Background(), c, id)
	if err != nil {
		return v, notFound(err, id)
	}
	err = json.Unmarshal(raw, &v)
	return v, err
}

func list[T any](s *Scheduler, c store.Collection) ([]T, error) {
	var out []T
	err := s.store.ListRecords(context.Background(), c, func(_ string, raw []byte) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

func update[T any](s *Scheduler, c store.Collection, id string, change func(*T) error) error {
	err := s.store.UpdateRecord(context.Background(), c, id, func(raw []byte) ([]byte, error) {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, err
		}
		if err := change(&v); err != nil {
			return nil, err
		}
		return json.Marshal(v)
	})
	return notFound(err, id)
}

func (s *Scheduler) updateSchedule(id string, f func(*Schedule) error) error {
	return update(s, store.Schedules, id, f)
}

func (s *Scheduler) updatePolicy(id string, f func(*Policy) error) error {
	return update(s, store.Policies, id, f)
}

// GetSchedule returns one schedule.
func (s *Scheduler) GetSchedule(id string) (Schedule, error) {
	return get[Schedule](s, store.Schedules, id)
}

// GetPolicy returns one policy.
func (s *Scheduler) GetPolicy(id string) (Policy, error) {
	return get[Policy](s, store.Policies, id)
}

// ListSchedules returns every schedule, oldest first.
func (s *Scheduler) ListSchedules() ([]Schedule, error) {
	out, err := list[Schedule](s, store.Schedules)
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}

// ListPolicies returns every policy, oldest first.
func (s *Scheduler) ListPolicies() ([]Policy, error) {
	out, err := list[Policy](s, store.Policies)
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, err
}

func isPolicyJob(scheduleID string) (string, bool) {
	return strings.CutPrefix(scheduleID, policyPrefix)
}
