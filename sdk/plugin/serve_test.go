package plugin

import (
	"sync"
	"testing"
	"time"
)

// A plugin whose host is gone exits even when the shutdown it waits for never ends (a provider
// stuck in Close, or another shutdown holding the once), and waits for one that does.
func TestShutdownWithinGivesUpOnAStuckShutdown(t *testing.T) {
	t.Parallel()
	stuck := make(chan struct{})
	t.Cleanup(func() { close(stuck) })
	cases := []struct {
		name     string
		shutdown func(string)
		want     bool
	}{
		{"returns", func(string) {}, true},
		{"stuck in Close", func(string) { <-stuck }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var mu sync.Mutex
			var reason string
			got := shutdownWithin(func(why string) {
				mu.Lock()
				reason = why
				mu.Unlock()
				c.shutdown(why)
			}, "the host is gone", 100*time.Millisecond)
			mu.Lock()
			defer mu.Unlock()
			if got != c.want || got && reason != "the host is gone" {
				t.Errorf("shutdownWithin = %v with reason %q, want %v", got, reason, c.want)
			}
		})
	}
}

// A plugin re-parented before it first looked (its host killed while it started) sees that the
// host it was started by is not its parent; one started by the host, or by hand, does not.
func TestHostGoneAtStart(t *testing.T) {
	t.Parallel()
	cases := []struct {
		hostPID string
		parent  int
		want    bool
	}{
		{"4242", 4242, false}, // its host is its parent
		{"4242", 1, true},     // re-parented to init: the host died first
		{"4242", 77, true},    // re-parented to a subreaper
		{"", 1, false},        // not started through ClientConfig: nothing to compare
	}
	for _, c := range cases {
		if got := hostGoneAtStart(c.hostPID, c.parent); got != c.want {
			t.Errorf("hostGoneAtStart(%q, %d) = %v, want %v", c.hostPID, c.parent, got, c.want)
		}
	}
}
