package api

import (
	"testing"

	"github.com/hypersdk/hypersdk/core/auth"
	"github.com/hypersdk/hypersdk/core/config"
)

// X-Forwarded-For names the client only when a configured proxy says so: from anyone else it
// would dodge the rate limit with a fresh made-up address per request and forge the audit log.
func TestForwardedForIsBelievedOnlyFromTrustedProxies(t *testing.T) {
	t.Parallel()
	oneEach := config.Auth{RateLimit: config.RateLimit{RequestsPerSecond: 0.001, Burst: 1}}
	const peer = "203.0.113.7:40000"
	// /jobs/query without job_id is a 400 that needs no job store: allowed means 400 here
	type step struct {
		remote, forwarded string
		status            int
	}
	cases := []struct {
		name    string
		trusted []string
		steps   []step
	}{
		{"no proxy trusted: the peer is the client", nil, []step{
			{peer, "198.51.100.1", 400},
			{peer, "198.51.100.2", 429},
		}},
		{"a trusted proxy names the client", []string{"203.0.113.0/24"}, []step{
			{peer, "198.51.100.1", 400},
			{peer, "198.51.100.2", 400},
			{peer, "198.51.100.1", 429},
		}},
		{"an untrusted peer cannot pose as a proxy", []string{"192.0.2.1"}, []step{
			{peer, "198.51.100.1", 400},
			{peer, "198.51.100.2", 429},
		}},
		{"one IPv6 /64 is one client", nil, []step{
			{"[2001:db8:1:2::1]:40000", "", 400},
			{"[2001:db8:1:2:ffff::9]:40000", "", 429},
			{"[2001:db8:1:3::1]:40000", "", 400},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := testServer(t, Deps{Auth: auth.New(oneEach), TrustedProxies: c.trusted})
			for i, s := range c.steps {
				status, body, _ := send(t, srv, testRequest{method: "GET", path: "/jobs/query", remote: s.remote, header: map[string]string{"X-Forwarded-For": s.forwarded}})
				if status != s.status {
					t.Fatalf("request %d from %s (X-Forwarded-For %q) = %d %.200s, want %d", i, s.remote, s.forwarded, status, body, s.status)
				}
			}
		})
	}
}

func TestAuditRecordsTheRealClient(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		trusted []string
		want    string
	}{
		{"forged header ignored", nil, "203.0.113.7"},
		{"trusted proxy believed", []string{"203.0.113.7"}, "198.51.100.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			log := testAudit(t)
			srv := testServer(t, Deps{Audit: log, TrustedProxies: c.trusted})
			send(t, srv, testRequest{method: "POST", path: "/jobs/submit", body: "[]", remote: "203.0.113.7:40000",
				header: map[string]string{"Content-Type": "application/json", "X-Forwarded-For": "198.51.100.1"}})
			entries, _, err := log.List(10, 0)
			if err != nil || len(entries) != 1 || entries[0].Remote != c.want {
				t.Fatalf("audit = %+v, %v; want one entry from %s", entries, err, c.want)
			}
		})
	}
}
