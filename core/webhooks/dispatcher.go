package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"
	bolt "go.etcd.io/bbolt"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/metrics"
	"github.com/hypersdk/hypersdk/core/store"
)

// Delivery headers.
const (
	HeaderSignature = "X-HyperSDK-Signature" // "sha256=<hex HMAC-SHA256 of the body>"
	HeaderEvent     = "X-HyperSDK-Event"
	HeaderDelivery  = "X-HyperSDK-Delivery"
)

// Retry policy: attempts grow 1s, 2s, 4s… up to maxBackoff; after maxAttempts the delivery is
// dropped with an error in the log.
const (
	maxAttempts = 10
	maxBackoff  = 5 * time.Minute
)

// delivery is one outbox entry.
type delivery struct {
	Seq      uint64          `json:"seq"`
	HookID   string          `json:"hook_id"`
	Event    string          `json:"event"`
	Body     json.RawMessage `json:"body"`
	Attempts int             `json:"attempts"`
	NextAt   time.Time       `json:"next_at"`
	LastErr  string          `json:"last_error,omitempty"`
}

// Dispatcher owns the hooks and the outbox.
type Dispatcher struct {
	store  *store.Store
	bus    *events.Bus
	log    hclog.Logger
	client *http.Client

	mu     sync.Mutex
	config []Hook
	wake   chan struct{}
	stop   context.CancelFunc
	wg     sync.WaitGroup
}

// NewDispatcher returns a dispatcher for the configured hooks; Start begins delivering.
func NewDispatcher(s *store.Store, bus *events.Bus, configured []Hook, log hclog.Logger) *Dispatcher {
	for i := range configured {
		configured[i].ID = fmt.Sprintf("config-%d", i)
		configured[i].Source = "config"
	}
	return &Dispatcher{store: s, bus: bus, log: log, config: configured, wake: make(chan struct{}, 1),
		client: &http.Client{Timeout: 15 * time.Second}}
}

// Start subscribes to the bus and starts the delivery loop; deliveries left in the outbox by a
// previous run go out first.
func (d *Dispatcher) Start(ctx context.Context) {
	ctx, d.stop = context.WithCancel(context.WithoutCancel(ctx))
	d.wg.Add(2)
	go d.collect(ctx)
	go d.deliverLoop(ctx)
}

// Close stops delivering; the outbox keeps what is left for the next start.
func (d *Dispatcher) Close() {
	if d.stop != nil {
		d.stop()
		d.wg.Wait()
	}
}

// collect turns bus events into outbox entries, one per interested hook. If it ever falls
// behind the bus and is dropped, it says so and subscribes again.
func (d *Dispatcher) collect(ctx context.Context) {
	defer d.wg.Done()
	for {
		ch, cancel := d.bus.Subscribe(4096)
		dropped := d.drain(ctx, ch)
		cancel()
		if !dropped {
			return
		}
		d.log.Warn("webhook dispatcher fell behind the event bus; some events were not queued")
	}
}

// drain queues events until ctx ends (false) or the bus drops the subscription (true).
func (d *Dispatcher) drain(ctx context.Context, ch <-chan events.Event) bool {
	for {
		select {
		case <-ctx.Done():
			return false
		case ev, ok := <-ch:
			if !ok {
				return true
			}
			if err := d.enqueue(ev); err != nil {
				d.log.Error("cannot queue webhook delivery", "event", ev.Type, "error", err)
			}
		}
	}
}

func (d *Dispatcher) enqueue(ev events.Event) error {
	hooks, err := d.List()
	if err != nil {
		return err
	}
	body, _ := json.Marshal(ev)
	queued := false
	err = d.store.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(store.BucketOutbox)
		for _, h := range hooks {
			if !h.Wants(ev.Type) {
				continue
			}
			seq, _ := b.NextSequence()
			raw, _ := json.Marshal(delivery{Seq: seq, HookID: h.ID, Event: ev.Type, Body: body, NextAt: time.Now()})
			if err := b.Put(store.SeqKey(seq), raw); err != nil {
				return err
			}
			queued = true
		}
		return nil
	})
	if queued {
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
	return err
}

func (d *Dispatcher) deliverLoop(ctx context.Context) {
	defer d.wg.Done()
	for {
		next := d.deliverDue(ctx)
		wait := time.Until(next)
		if next.IsZero() || wait > time.Minute {
			wait = time.Minute
		}
		select {
		case <-ctx.Done():
			return
		case <-d.wake:
		case <-time.After(max(wait, 10*time.Millisecond)):
		}
	}
}

// deliverDue sends every due delivery in order and returns when the next one falls due.
func (d *Dispatcher) deliverDue(ctx context.Context) time.Time {
	var due []delivery
	var next time.Time
	now := time.Now()
	d.store.View(func(tx *bolt.Tx) error {
		return tx.Bucket(store.BucketOutbox).ForEach(func(_, raw []byte) error {
			var dl delivery
			if json.Unmarshal(raw, &dl) == nil {
				if !dl.NextAt.After(now) {
					due = append(due, dl)
				} else if next.IsZero() || dl.NextAt.Before(next) {
					next = dl.NextAt
				}
			}
			return nil
		})
	})
	hooks, _ := d.List()
	byID := map[string]Hook{}
	for _, h := range hooks {
		byID[h.ID] = h
	}
	for _, dl := range due {
		if ctx.Err() != nil {
			return next
		}
		h, ok := byID[dl.HookID]
		if !ok { // hook deleted since
			d.remove(dl.Seq)
			continue
		}
		err := d.send(ctx, h, dl)
		if err == nil {
			metrics.WebhookDeliveries.WithLabelValues("ok").Inc()
			d.remove(dl.Seq)
			continue
		}
		dl.Attempts++
		dl.LastErr = err.Error()
		if dl.Attempts >= maxAttempts {
			metrics.WebhookDeliveries.WithLabelValues("dropped").Inc()
			d.log.Error("webhook delivery dropped after retries", "hook", h.ID, "url", h.URL, "event", dl.Event, "attempts", dl.Attempts, "error", err)
			d.remove(dl.Seq)
			continue
		}
		metrics.WebhookDeliveries.WithLabelValues("failed").Inc()
		dl.NextAt = time.Now().Add(min(time.Second<<(dl.Attempts-1), maxBackoff))
		d.log.Warn("webhook delivery failed; will retry", "hook", h.ID, "url", h.URL, "event", dl.Event, "attempt", dl.Attempts, "retry_at", dl.NextAt, "error", err)
		d.put(dl)
		if next.IsZero() || dl.NextAt.Before(next) {
			next = dl.NextAt
		}
	}
	return next
}

func (d *Dispatcher) send(ctx context.Context, h Hook, dl delivery) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(dl.Body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hypervisord-webhooks")
	req.Header.Set(HeaderEvent, dl.Event)
	req.Header.Set(HeaderDelivery, fmt.Sprintf("%s-%d", h.ID, dl.Seq))
	if h.Secret != "" {
		req.Header.Set(HeaderSignature, Sign(h.Secret, dl.Body))
	}
	for k, v := range h.Headers {
		req.Header.Set(k, v)
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("receiver answered %s", resp.Status)
	}
	return nil
}

// Sign is the signature header value for body: "sha256=" and the hex HMAC-SHA256 under secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func (d *Dispatcher) remove(seq uint64) {
	d.store.Update(func(tx *bolt.Tx) error { return tx.Bucket(store.BucketOutbox).Delete(store.SeqKey(seq)) })
}

func (d *Dispatcher) put(dl delivery) {
	raw, _ := json.Marshal(dl)
	d.store.Update(func(tx *bolt.Tx) error { return tx.Bucket(store.BucketOutbox).Put(store.SeqKey(dl.Seq), raw) })
}
