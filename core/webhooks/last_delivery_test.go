package webhooks

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/events"
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
	d := startDispatcher(t, openStore(t), bus, Guard{AllowLoopback: true},
		Hook{URL: recv.URL + "/hook", Events: []string{events.JobFailed}},
		Hook{URL: recv.URL + "/idle", Events: []string{events.JobCompleted}})
	defer d.Close()
	bus.Publish(events.Event{ID: "e1", Type: events.JobFailed})

	var seen []LastDelivery
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ld, ok := d.LastDelivery("config-0"); ok && (len(seen) == 0 || seen[len(seen)-1] != ld) {
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
	if ld, ok := d.LastDelivery("config-1"); ok {
		t.Errorf("a hook nothing was sent to has a last delivery: %+v", ld)
	}
}
