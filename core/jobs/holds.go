package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Hold states.
const (
	HoldHeld          = "held"
	HoldReleased      = "released"
	HoldReleaseFailed = "release_failed" // tried, and retried with backoff until it goes
)

// Hold is a provider's hold as the job records it: what the provider made outside the export
// directory, which provider instance releases it, and how releasing it went.
type Hold struct {
	provider.Hold
	Provider   string     `json:"provider"`
	State      string     `json:"state"`
	RecordedAt time.Time  `json:"recorded_at"`
	ReleasedAt *time.Time `json:"released_at,omitempty"`
	Attempts   int        `json:"release_attempts,omitempty"`
	LastError  string     `json:"last_error,omitempty"`
}

// Hold stores the provider's hold before the provider creates what it names; the provider
// goes on only once this returns nil.
func (r *reporter) Hold(_ context.Context, h provider.Hold) error {
	if err := h.Validate(); err != nil {
		return err
	}
	r.m.holdGates.pin(r.id) // counted, and kept from retention, from before it is stored
	_, err := r.m.update(r.id, func(j *Job) error {
		rec := Hold{Hold: h, Provider: j.Spec.Provider, State: HoldHeld, RecordedAt: time.Now().UTC()}
		for i := range j.Holds {
			if j.Holds[i].Kind == h.Kind && j.Holds[i].ID == h.ID {
				j.Holds[i] = rec
				return nil
			}
		}
		j.Holds = append(j.Holds, rec)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store hold %s/%s: %w", h.Kind, h.ID, err)
	}
	return nil
}

// Released records that the provider undid a hold itself.
func (r *reporter) Released(_ context.Context, h provider.Hold) error {
	_, err := r.m.update(r.id, func(j *Job) error {
		now := time.Now().UTC()
		for i := range j.Holds {
			if j.Holds[i].Kind == h.Kind && j.Holds[i].ID == h.ID && j.Holds[i].State != HoldReleased {
				j.Holds[i].State, j.Holds[i].ReleasedAt, j.Holds[i].LastError = HoldReleased, &now, ""
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store release of hold %s/%s: %w", h.Kind, h.ID, err)
	}
	return nil
}

// Checkpoint stores the provider's resume token before the provider relies on it: it is what a
// retry or a restarted daemon hands back.
func (r *reporter) Checkpoint(_ context.Context, token []byte) error {
	if len(token) > provider.MaxCheckpointBytes {
		return fmt.Errorf("%w: checkpoint of %d bytes is larger than %d", provider.ErrInvalidArgument, len(token), provider.MaxCheckpointBytes)
	}
	if _, err := r.m.update(r.id, func(j *Job) error { j.ResumeToken = append([]byte(nil), token...); return nil }); err != nil {
		return fmt.Errorf("store the export's checkpoint: %w", err)
	}
	return nil
}
