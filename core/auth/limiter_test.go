package auth

import (
	"fmt"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/config"
)

func limiter(rps float64, burst int) *Authenticator {
	return New(config.Auth{RateLimit: config.RateLimit{RequestsPerSecond: rps, Burst: burst}})
}

// A flood from many addresses must not grow the limiter without bound: idle clients are
// forgotten (losslessly: their bucket would be full again), and past the bound the least
// recently seen go first.
func TestLimiterMemoryIsBounded(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1_700_000_000, 0)
	cases := []struct {
		name    string
		max     int
		clients int
		then    time.Duration // when one more client comes
		want    int           // clients remembered after it
	}{
		{"idle clients are forgotten", 1000, 500, 3 * time.Second, 1},
		{"clients still refilling are kept", 1000, 500, time.Second, 501},
		{"a flood stops at the bound", 100, 5000, 0, 100},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			a := limiter(1, 2) // a full bucket refills in 2 s
			a.maxBuckets = c.max
			for i := 0; i < c.clients; i++ {
				a.Allow(fmt.Sprintf("10.0.%d.%d", i/256, i%256), t0)
			}
			a.Allow("late", t0.Add(c.then))
			if got := len(a.buckets); got != c.want || a.recent.Len() != got {
				t.Fatalf("remembered %d clients (list %d), want %d", got, a.recent.Len(), c.want)
			}
		})
	}
}

// Forgetting must not be a way around the limit: a client that used its budget stays limited
// however many others come and go.
func TestLimitedClientStaysLimitedWhileOthersComeAndGo(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1_700_000_000, 0)
	a := limiter(1, 2)
	a.maxBuckets = 10
	a.Allow("greedy", t0)
	a.Allow("greedy", t0)
	for i := 0; i < 5; i++ {
		a.Allow(fmt.Sprintf("other-%d", i), t0.Add(500*time.Millisecond))
	}
	if ok, wait := a.Allow("greedy", t0.Add(500*time.Millisecond)); ok || wait <= 0 {
		t.Fatalf("greedy client allowed again after others came (ok %v, wait %v)", ok, wait)
	}
	if ok, _ := a.Allow("greedy", t0.Add(2*time.Second)); !ok {
		t.Fatal("greedy client still limited after its bucket refilled")
	}
}
