package jobs

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/hypersdk/hypersdk/core/store"
)

// endEvent is a job's end event (job.completed, job.failed, job.cancelled) not yet on the
// event bus. It is stored before the job's end and removed once the bus has taken the event
// (the webhook outbox has it), so a daemon killed between storing a job's end and publishing
// it sends the event later instead of never: at its next start, or in a cluster from another
// node's sweep. An event may so be sent twice, never lost.
type endEvent struct {
	Type    string    `json:"type"`
	Message string    `json:"message,omitempty"`
	At      time.Time `json:"at"`
}

// markEnding stores the end event of job id before its end is stored.
func (m *Manager) markEnding(id, typ, msg string) {
	raw, err := json.Marshal(endEvent{Type: typ, Message: msg, At: time.Now().UTC()})
	if err == nil {
		err = m.store.PutRecord(context.Background(), store.EndEvents, id, raw)
	}
	if err != nil {
		m.log.Error("cannot note the job's end event; a crash before it is published would lose it", "job_id", id, "error", err)
	}
}

// publishEnd publishes job j's end event and forgets its note: the bus has it.
func (m *Manager) publishEnd(j Job, typ, msg string) {
	m.publish(j, typ, msg)
	m.endPublished(j.ID)
}

// endPublished forgets the end event of job id: the bus has it, or the job did not end.
func (m *Manager) endPublished(id string) {
	if err := m.store.DeleteRecord(context.Background(), store.EndEvents, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		m.log.Error("cannot clear the job's published end event; it will be sent again", "job_id", id, "error", err)
	}
}

// resendEndEvents publishes the end events stored more than olderThan ago whose jobs have
// ended, and drops those of jobs that have not (they ended in no store: the end is recorded
// again when they do). olderThan is zero on a single daemon's start; in a cluster it leaves a
// live node time to publish its own.
func (m *Manager) resendEndEvents(ctx context.Context, olderThan time.Duration) {
	pending := map[string]endEvent{}
	err := m.store.ListRecords(ctx, store.EndEvents, func(id string, raw []byte) error {
		var ev endEvent
		if json.Unmarshal(raw, &ev) != nil {
			ev = endEvent{} // unreadable: dropped below
		}
		pending[id] = ev
		return nil
	})
	if err != nil {
		if ctx.Err() == nil {
			m.log.Error("cannot read the unpublished job end events", "error", err)
		}
		return
	}
	for id, ev := range pending {
		if olderThan > 0 && time.Since(ev.At) < olderThan {
			continue
		}
		raw, err := m.store.GetJob(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			m.log.Error("cannot read a job whose end event is unpublished", "job_id", id, "error", err)
			continue
		}
		if err == nil && ev.Type != "" {
			if j, derr := decodeJob(id, raw); derr == nil && j.Status.Terminal() {
				m.log.Warn("publishing the end event of a job whose daemon stopped before it did", "job_id", id, "event", ev.Type)
				m.publishEnd(j, ev.Type, cmp.Or(ev.Message, j.Error))
				continue
			}
		}
		m.endPublished(id)
	}
}

// endEventGrace is how old an unpublished end event must be before this daemon sends it: on a
// single daemon none is being published while it starts; in a cluster another node may be
// publishing its own, so one lease's time.
func (m *Manager) endEventGrace() time.Duration {
	if m.cfg.Cluster == nil {
		return 0
	}
	return m.cfg.Cluster.LeaseTTL()
}
