package webhooks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"time"

	"github.com/hypersdk/hypersdk/core/store"
)

// LastDelivery is how the latest attempt to deliver an event to a hook went, for GET /webhooks
// and the dashboard. It is kept in the store (webhook_deliveries, by hook id), so every node of
// a cluster answers the same whichever node delivered, and a restart keeps it.
type LastDelivery struct {
	Event   string    `json:"event"`
	At      time.Time `json:"at"`
	OK      bool      `json:"ok"`
	Attempt int       `json:"attempt"`
	// Error is why the attempt failed (the receiver's status, or the connection's error; never
	// the hook's URL, which may be a credential).
	Error string `json:"error,omitempty"`
}

// storedDelivery is a LastDelivery as stored, with the hook it was made to: a configured hook's
// id is its place in the config file, which after an edit may name another URL.
type storedDelivery struct {
	LastDelivery
	Target string `json:"target"` // targetOf the hook's URL
}

// targetOf identifies a hook's URL without storing it (it may hold a credential).
func targetOf(h Hook) string {
	sum := sha256.Sum256([]byte(h.URL))
	return hex.EncodeToString(sum[:8])
}

// recordDelivery stores how an attempt to deliver event to h went.
func (d *Dispatcher) recordDelivery(ctx context.Context, h Hook, event string, attempt int, at time.Time, err error) {
	sd := storedDelivery{LastDelivery: LastDelivery{Event: event, At: at.UTC(), OK: err == nil, Attempt: attempt}, Target: targetOf(h)}
	if err != nil {
		sd.Error = err.Error()
	}
	raw, merr := json.Marshal(sd)
	if merr == nil {
		merr = d.store.PutRecord(ctx, store.WebhookDeliveries, h.ID, raw)
	}
	if merr != nil {
		d.log.Warn("cannot record how the webhook delivery went; GET /webhooks shows an older one", "hook", h.ID, "error", merr)
	}
}

// LastDelivery says how the latest attempt to deliver to h went, if one was made (to h's URL).
func (d *Dispatcher) LastDelivery(h Hook) (LastDelivery, bool, error) {
	raw, err := d.store.GetRecord(context.Background(), store.WebhookDeliveries, h.ID)
	if errors.Is(err, store.ErrNotFound) {
		return LastDelivery{}, false, nil
	}
	if err != nil {
		return LastDelivery{}, false, err
	}
	var sd storedDelivery
	if err := json.Unmarshal(raw, &sd); err != nil || sd.Target != targetOf(h) {
		return LastDelivery{}, false, nil // unreadable, or made to the URL this id had before
	}
	return sd.LastDelivery, true, nil
}
