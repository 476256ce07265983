package webhooks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hashicorp/go-hclog"
	bolt "go.etcd.io/bbolt"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/store"
)

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "hypersdk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func startDispatcher(t *testing.T, st *store.Store, bus *events.Bus, g Guard, configured ...Hook) *Dispatcher {
	t.Helper()
	d, err := NewDispatcher(st, bus, configured, g, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	d.Start(context.Background())
	return d
}

// outboxEventIDs lists the event ids of every delivery waiting in the outbox.
func outboxEventIDs(t *testing.T, st *store.Store) map[string]int {
	t.Helper()
	ids := map[string]int{}
	err := st.View(func(tx *bolt.Tx) error {
		return tx.Bucket(store.BucketOutbox).ForEach(func(_, raw []byte) error {
			var dl delivery
			var ev events.Event
			if err := json.Unmarshal(raw, &dl); err != nil {
				return err
			}
			if err := json.Unmarshal(dl.Body, &ev); err != nil {
				return err
			}
			ids[ev.ID]++
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// A burst of 5,000 events from 50 publishers, more than the old 4,096-event buffer, while the
// receiver hangs: when the last Publish returns, every event is in the persisted outbox once
// (so a crash now loses none), and nothing waited for the receiver.
func TestBurstIsInTheOutboxBeforePublishReturns(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(rcv.Close)
	t.Cleanup(func() { close(release) }) // runs first: lets the hanging request end

	st := openStore(t)
	bus := events.NewBus()
	d := startDispatcher(t, st, bus, Guard{AllowLoopback: true}, Hook{URL: rcv.URL, Events: []string{"*"}})
	defer d.Close()

	const publishers, each = 50, 100
	var wg sync.WaitGroup
	for p := 0; p < publishers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				bus.Publish(events.Event{ID: fmt.Sprintf("evt-%d-%d", p, i), Type: events.JobProgress, JobID: fmt.Sprint(p)})
			}
		}()
	}
	wg.Wait()

	ids := outboxEventIDs(t, st)
	if len(ids) != publishers*each {
		t.Fatalf("outbox holds %d distinct events, want %d", len(ids), publishers*each)
	}
	for p := 0; p < publishers; p++ {
		for i := 0; i < each; i++ {
			if id := fmt.Sprintf("evt-%d-%d", p, i); ids[id] != 1 {
				t.Fatalf("event %s is in the outbox %d times, want once", id, ids[id])
			}
		}
	}
}

// Events no hook wants cost no write, and a hook gets only the types it asked for.
func TestOnlyWantedEventsAreQueued(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	bus := events.NewBus()
	d := startDispatcher(t, st, bus, Guard{}, Hook{URL: "http://192.0.2.1/hook", Events: []string{events.JobFailed}})
	defer d.Close()
	for i, typ := range []string{events.JobCreated, events.JobFailed, events.JobProgress, events.JobFailed} {
		bus.Publish(events.Event{ID: fmt.Sprint(i), Type: typ})
	}
	if ids := outboxEventIDs(t, st); fmt.Sprint(ids) != "map[1:1 3:1]" {
		t.Errorf("outbox = %v, want the two job.failed events (1 and 3)", ids)
	}
}
