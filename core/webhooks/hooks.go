package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/hypersdk/hypersdk/core/store"
)

// List returns every hook, configured ones first.
func (d *Dispatcher) List() ([]Hook, error) {
	d.mu.Lock()
	out := append([]Hook(nil), d.config...)
	d.mu.Unlock()
	var api []Hook
	err := d.store.ListRecords(context.Background(), store.Webhooks, func(_ string, raw []byte) error {
		var h Hook
		if err := json.Unmarshal(raw, &h); err != nil {
			return err
		}
		api = append(api, h)
		return nil
	})
	sort.Slice(api, func(i, j int) bool { return api[i].CreatedAt.Before(api[j].CreatedAt) })
	return append(out, api...), err
}

// Add validates and persists a hook from the API; a URL naming an address the guard forbids is
// refused now, a hostname when a delivery connects. Without a secret one is generated; the
// returned hook carries it, and that answer is the only place it is ever shown.
func (d *Dispatcher) Add(h Hook) (Hook, error) {
	if err := Validate(h); err != nil {
		return Hook{}, err
	}
	if err := d.guard.CheckURL(h.URL); err != nil {
		return Hook{}, &FieldError{Field: "url", Err: err}
	}
	h.ID, h.Source, h.CreatedAt = "wh-"+randomHex(6), "api", d.now().UTC()
	if h.Secret == "" {
		h.Secret = randomHex(32)
	}
	raw, err := json.Marshal(h)
	if err != nil {
		return Hook{}, fmt.Errorf("encode webhook %s: %w", h.ID, err)
	}
	if err := d.store.PutRecord(context.Background(), store.Webhooks, h.ID, raw); err != nil {
		return Hook{}, fmt.Errorf("store webhook %s: %w", h.ID, err)
	}
	return h, nil
}

// ErrNotFound and ErrReadOnly answer DELETE /webhooks/{id}.
var (
	ErrNotFound = fmt.Errorf("webhook not found")
	ErrReadOnly = fmt.Errorf("webhook comes from the configuration file; remove it there")
)

// Delete removes a hook added through the API.
func (d *Dispatcher) Delete(id string) error {
	d.mu.Lock()
	for _, h := range d.config {
		if h.ID == id {
			d.mu.Unlock()
			return ErrReadOnly
		}
	}
	d.mu.Unlock()
	err := d.store.DeleteRecord(context.Background(), store.Webhooks, id)
	if errors.Is(err, store.ErrNotFound) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	if err := d.store.DeleteRecord(context.Background(), store.WebhookDeliveries, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		d.log.Warn("cannot forget the deleted webhook's last delivery", "hook", id, "error", err)
	}
	return nil
}
