package webhooks

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/hashicorp/go-hclog"

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

// Store is what the dispatcher keeps: API-added hooks (the webhooks collection) and the outbox.
type Store interface {
	store.RecordStore
	store.OutboxStore
}

// Dispatcher owns the hooks and the outbox.
type Dispatcher struct {
	store  Store
	bus    *events.Bus
	log    hclog.Logger
	guard  Guard
	client *http.Client
	now    func() time.Time // stamps a hook's CreatedAt

	mu       sync.Mutex
	config   []Hook
	wake     chan struct{}
	stop     context.CancelFunc
	unrecord func()
	wg       sync.WaitGroup
	elector  store.Elector // in a cluster, delivers only on the node elected (cluster.go)
}

// NewDispatcher returns a dispatcher for the configured hooks, delivering only where guard
// allows; Start begins delivering. A configured hook whose URL or headers could never be sent,
// or whose URL names a forbidden address, is an error naming it (webhooks[i].url,
// webhooks[i].headers.<name>); the configuration check refuses the same, so this is a backstop.
func NewDispatcher(s Store, bus *events.Bus, configured []Hook, guard Guard, log hclog.Logger) (*Dispatcher, error) {
	for i := range configured {
		err := ValidateURL(configured[i].URL)
		if err == nil {
			err = ValidateHeaders(configured[i].Headers)
		}
		var fe *FieldError
		if errors.As(err, &fe) {
			return nil, fmt.Errorf("webhooks[%d].%s: %w", i, fe.Field, fe.Err)
		}
		if err := guard.CheckURL(configured[i].URL); err != nil {
			return nil, fmt.Errorf("webhooks[%d].url: %w", i, err)
		}
		configured[i].ID = fmt.Sprintf("config-%d", i)
		configured[i].Source = "config"
	}
	return &Dispatcher{store: s, bus: bus, log: log, config: configured, guard: guard, wake: make(chan struct{}, 1),
		client: guard.Client(15 * time.Second), now: time.Now}, nil
}

// Start records every bus event into the outbox before its Publish returns, and starts the
// delivery loop; deliveries left in the outbox by a previous run go out first.
func (d *Dispatcher) Start(ctx context.Context) {
	ctx, d.stop = context.WithCancel(context.WithoutCancel(ctx))
	d.unrecord = d.bus.Record(d.record)
	d.wg.Add(1)
	go d.runDelivery(ctx) // cluster.go
}

// Close stops recording and delivering; the outbox keeps what is left for the next start.
func (d *Dispatcher) Close() {
	if d.stop != nil {
		d.unrecord()
		d.stop()
		d.wg.Wait()
	}
}

// record is the dispatcher's bus recorder: the events of one batch, and their deliveries, reach
// the outbox in one transaction, so an event the bus accepted survives a crash.
func (d *Dispatcher) record(batch []events.Event) {
	if err := d.enqueue(batch); err != nil {
		d.log.Error("cannot queue webhook deliveries; these events will not be delivered", "events", len(batch), "first_event_id", batch[0].ID, "error", err)
	}
}

func (d *Dispatcher) enqueue(batch []events.Event) error {
	hooks, err := d.List()
	if err != nil { // a hook record that cannot be read: deliver to the others
		d.log.Error("cannot read every webhook", "error", err)
	}
	type pending struct {
		hook string
		ev   events.Event
		body []byte
	}
	var out []pending
	for _, ev := range batch {
		var body []byte
		for _, h := range hooks {
			if !h.Wants(ev.Type) {
				continue
			}
			if body == nil {
				if body, err = json.Marshal(ev); err != nil {
					d.log.Error("cannot encode event for webhooks", "event", ev.Type, "event_id", ev.ID, "error", err)
					break
				}
			}
			out = append(out, pending{h.ID, ev, body})
		}
	}
	if len(out) == 0 {
		return nil
	}
	now := time.Now()
	err = d.store.AddDeliveries(context.Background(), len(out), func(i int, seq uint64) ([]byte, error) {
		p := out[i]
		return json.Marshal(delivery{Seq: seq, HookID: p.hook, Event: p.ev.Type, Body: p.body, NextAt: now})
	})
	if err != nil {
		return fmt.Errorf("write %d deliveries to the outbox: %w", len(out), err)
	}
	select {
	case d.wake <- struct{}{}:
	default:
	}
	return nil
}

func (d *Dispatcher) deliverLoop(ctx context.Context) {
	for {
		next := d.deliverDue(ctx)
		wait := time.Until(next)
		if next.IsZero() || wait > d.maxWait() {
			wait = d.maxWait()
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
	err := d.store.ForEachDelivery(ctx, func(seq uint64, raw []byte) error {
		var dl delivery
		if err := json.Unmarshal(raw, &dl); err != nil {
			d.log.Error("unreadable webhook delivery left in the outbox", "seq", seq, "error", err)
			return nil
		}
		if !dl.NextAt.After(now) {
			due = append(due, dl)
		} else if next.IsZero() || dl.NextAt.Before(next) {
			next = dl.NextAt
		}
		return nil
	})
	if err != nil {
		d.log.Error("cannot read the webhook outbox", "error", err)
		return time.Time{}
	}
	hooks, err := d.List()
	if err != nil {
		d.log.Error("cannot read every webhook", "error", err)
	}
	allHooks := err == nil
	byID := map[string]Hook{}
	for _, h := range hooks {
		byID[h.ID] = h
	}
	for _, dl := range due {
		if ctx.Err() != nil {
			return next
		}
		h, ok := byID[dl.HookID]
		if !ok {
			if allHooks { // hook deleted since
				d.remove(dl.Seq)
			}
			continue
		}
		err := d.send(ctx, h, dl)
		if ctx.Err() != nil { // stopping: not the receiver's fault, try again at the next start
			return next
		}
		d.recordDelivery(ctx, h, dl.Event, dl.Attempts+1, time.Now(), err)
		if err == nil {
			metrics.WebhookDeliveries.WithLabelValues("ok").Inc()
			d.remove(dl.Seq)
			continue
		}
		dl.Attempts++
		dl.LastErr = err.Error()
		if dl.Attempts >= maxAttempts {
			metrics.WebhookDeliveries.WithLabelValues("dropped").Inc()
			d.log.Error("webhook delivery dropped after retries", "hook", h.ID, "url", RedactURL(h.URL), "event", dl.Event, "attempts", dl.Attempts, "error", err)
			d.remove(dl.Seq)
			continue
		}
		metrics.WebhookDeliveries.WithLabelValues("failed").Inc()
		dl.NextAt = time.Now().Add(min(time.Second<<(dl.Attempts-1), maxBackoff))
		d.log.Warn("webhook delivery failed; will retry", "hook", h.ID, "url", RedactURL(h.URL), "event", dl.Event, "attempt", dl.Attempts, "retry_at", dl.NextAt, "error", err)
		d.put(dl)
		if next.IsZero() || dl.NextAt.Before(next) {
			next = dl.NextAt
		}
	}
	return next
}

// send posts one delivery. Its error never holds the URL, which may be a credential: it is
// logged and kept in the outbox.
func (d *Dispatcher) send(ctx context.Context, h Hook, dl delivery) error {
	err := d.post(ctx, h, dl)
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, RedactURL(ue.URL), ue.Err)
	}
	return err
}

func (d *Dispatcher) post(ctx context.Context, h Hook, dl delivery) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(dl.Body))
	if err != nil {
		return err
	}
	// Custom headers first, so the dispatcher's own overwrite them: a hook stored before
	// ValidateHeaders refused them cannot forge the signature or relabel the event.
	for k, v := range h.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hypervisord-webhooks")
	req.Header.Set(HeaderEvent, dl.Event)
	req.Header.Set(HeaderDelivery, fmt.Sprintf("%s-%d", h.ID, dl.Seq))
	if h.Secret != "" {
		req.Header.Set(HeaderSignature, Sign(h.Secret, dl.Body))
	} else {
		req.Header.Del(HeaderSignature) // unsigned says unsigned, whatever a custom header claimed
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

// remove takes a delivery out of the outbox; if that fails it will be sent again, which
// at-least-once receivers tolerate.
func (d *Dispatcher) remove(seq uint64) {
	err := d.store.DeleteDelivery(context.Background(), seq)
	if err != nil {
		d.log.Error("cannot remove a webhook delivery from the outbox; it will be sent again", "seq", seq, "error", err)
	}
}

// put records a delivery's attempts and next time; if that fails it is retried on the old schedule.
func (d *Dispatcher) put(dl delivery) {
	raw, err := json.Marshal(dl)
	if err == nil {
		err = d.store.PutDelivery(context.Background(), dl.Seq, raw)
	}
	if err != nil {
		d.log.Error("cannot record a webhook delivery attempt", "seq", dl.Seq, "error", err)
	}
}
