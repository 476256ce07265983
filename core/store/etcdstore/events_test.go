package etcdstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/store/etcdstore"
	"github.com/hypersdk/hypersdk/core/store/etcdstore/etcdtest"
)

// An event published on one node reaches the other node's subscribers (a WebSocket client
// there), and is not relayed back to its own node's.
func TestEventsReachEveryNodesSubscribers(t *testing.T) {
	t.Parallel()
	endpoint := etcdtest.Start(t)
	busA, busB := events.NewBus(), events.NewBus()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go etcdstore.ShareEvents(ctx, join(t, openStore(t, endpoint, "/events/"), "node-a", 5*time.Second), busA, hclog.NewNullLogger())
	go etcdstore.ShareEvents(ctx, join(t, openStore(t, endpoint, "/events/"), "node-b", 5*time.Second), busB, hclog.NewNullLogger())
	onA, stopA := busA.Subscribe(64)
	defer stopA()
	onB, stopB := busB.Subscribe(64)
	defer stopB()

	published := 0
	var got events.Event
	// The other node's watch may start after the first events: publish until one arrives.
	for deadline := time.Now().Add(10 * time.Second); got.JobID == ""; {
		if time.Now().After(deadline) {
			t.Fatal("no event of node-a reached node-b's subscriber")
		}
		published++
		busA.Publish(events.Event{Type: events.JobProgress, JobID: "job-1", Progress: float64(published)})
		select {
		case got = <-onB:
		case <-time.After(500 * time.Millisecond):
		}
	}
	if got.Type != events.JobProgress || got.ID == "" {
		t.Errorf("node-b got %+v", got)
	}
	time.Sleep(500 * time.Millisecond) // room for a wrong relay back to node-a
	seen := map[string]int{}
	for len(onA) > 0 {
		e := <-onA
		seen[e.ID]++
	}
	if len(seen) != published {
		t.Errorf("node-a's subscriber saw %d events (%v), want its own %d once each", len(seen), seen, published)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %s seen %d times on node-a", id, n)
		}
	}
}
