package webhooks

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/store"
)

// Each hook's latest delivery attempt is kept (configured hooks are config-0, config-1…): a
// failure with the receiver's answer, then the success of the retry; a hook nothing was sent to
// has none.
func TestLastDeliveryFollowsTheAttempts(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer recv.Close()
	bus := events.NewBus()
	st := openStore(t)
	configured := []Hook{
		{URL: recv.URL + "/hook", Events: []string{events.JobFailed}},
		{URL: recv.URL + "/idle", Events: []string{events.JobCompleted}},
	}
	d := startDispatcher(t, st, bus, Guard{AllowLoopback: true}, configured...)
	defer d.Close()
	hook, idle := Hook{ID: "config-0", URL: configured[0].URL}, Hook{ID: "config-1", URL: configured[1].URL}
	bus.Publish(events.Event{ID: "e1", Type: events.JobFailed})

	var seen []LastDelivery
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ld, ok, err := d.LastDelivery(hook); err != nil {
			t.Fatal(err)
		} else if ok && (len(seen) == 0 || seen[len(seen)-1] != ld) {
			seen = append(seen, ld)
			if ld.OK {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	if len(seen) != 2 {
		t.Fatalf("last deliveries seen = %+v, want a failure then a success", seen)
	}
	if f := seen[0]; f.OK || f.Attempt != 1 || f.Event != events.JobFailed || !strings.Contains(f.Error, "503") || strings.Contains(f.Error, recv.URL) {
		t.Errorf("first attempt = %+v, want attempt 1 failed with the 503 and no URL", f)
	}
	if s := seen[1]; !s.OK || s.Attempt != 2 || s.Error != "" {
		t.Errorf("second attempt = %+v, want attempt 2 delivered", s)
	}
	if ld, ok, _ := d.LastDelivery(idle); ok {
		t.Errorf("a hook nothing was sent to has a last delivery: %+v", ld)
	}

	// Stored: a second daemon on the same store (restarted, or another node of a cluster)
	// shows it too — unless its configured hook at that place has another URL now.
	d.Close()
	again := startDispatcher(t, st, events.NewBus(), Guard{AllowLoopback: true}, configured...)
	defer again.Close()
	if ld, ok, err := again.LastDelivery(hook); err != nil || !ok || ld != seen[1] {
		t.Errorf("after a restart the last delivery is %+v (%v, %v), want %+v", ld, ok, err, seen[1])
	}
	if ld, ok, _ := again.LastDelivery(Hook{ID: "config-0", URL: recv.URL + "/edited"}); ok {
		t.Errorf("a configured hook whose URL changed shows the old URL's delivery: %+v", ld)
	}
}

// A deleted hook's last delivery goes with it.
func TestDeletedHookForgetsItsLastDelivery(t *testing.T) {
	t.Parallel()
	recv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer recv.Close()
	bus := events.NewBus()
	st := openStore(t)
	d := startDispatcher(t, st, bus, Guard{AllowLoopback: true})
	defer d.Close()
	h, err := d.Add(Hook{URL: recv.URL, Events: []string{events.JobFailed}})
	if err != nil {
		t.Fatal(err)
	}
	bus.Publish(events.Event{ID: "e1", Type: events.JobFailed})
	deadline := time.Now().Add(10 * time.Second)
	for ok := false; !ok; {
		if _, ok, _ = d.LastDelivery(h); !ok && time.Now().After(deadline) {
			t.Fatal("the delivery was never recorded")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := d.Delete(h.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetRecord(t.Context(), store.WebhookDeliveries, h.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the deleted hook's last delivery is still stored (%v)", err)
	}
}
