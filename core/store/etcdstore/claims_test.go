package etcdstore_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/core/store/etcdstore"
	"github.com/hypersdk/hypersdk/core/store/etcdstore/etcdtest"
)

func openStore(t testing.TB, endpoint, prefix string) *etcdstore.Store {
	t.Helper()
	s, err := etcdstore.Open(t.Context(), etcdstore.Config{Endpoints: []string{endpoint}, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func join(t *testing.T, s *etcdstore.Store, id string, ttl time.Duration) *etcdstore.Node {
	t.Helper()
	n, err := etcdstore.Join(t.Context(), s, store.Node{ID: id}, ttl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

func jobWrite(status string, fence int64) store.JobWrite {
	return store.JobWrite{Entry: store.JobEntry{ID: "job-1", Status: status, CreatedAt: time.Unix(1700000000, 0).UTC()},
		Record: []byte(`"` + status + `"`), Fence: fence}
}

// A node that lost its lease cannot overwrite a job another node claimed since: the token of
// its claim no longer matches, for a put and for an update alike.
func TestFencingRejectsAStaleWriter(t *testing.T) {
	t.Parallel()
	endpoint := etcdtest.Start(t)
	// Each node has its own client, as each daemon does.
	sa, sb := openStore(t, endpoint, "/fence/"), openStore(t, endpoint, "/fence/")
	a, b := join(t, sa, "node-a", 5*time.Second), join(t, sb, "node-b", 5*time.Second)
	if err := sa.CreateJobs(t.Context(), []store.JobWrite{jobWrite("pending", 0)}); err != nil {
		t.Fatal(err)
	}
	tokenA, err := a.ClaimJob(t.Context(), "job-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := sa.PutJob(t.Context(), jobWrite("running", tokenA)); err != nil {
		t.Fatalf("write under a live claim: %v", err)
	}
	if _, err := b.ClaimJob(t.Context(), "job-1"); !errors.Is(err, store.ErrClaimed) {
		t.Fatalf("second claim while the first holds = %v, want ErrClaimed", err)
	}
	// node-a's lease ends (as when it expires behind a partition): its claim goes with it.
	if _, err := sa.Client().Revoke(t.Context(), a.Lease()); err != nil {
		t.Fatal(err)
	}
	tokenB, err := b.ClaimJob(t.Context(), "job-1")
	if err != nil {
		t.Fatalf("claim after the holder's lease ended: %v", err)
	}
	if tokenB == tokenA {
		t.Fatalf("the new claim has the old token %d", tokenA)
	}
	if err := sa.PutJob(t.Context(), jobWrite("completed", tokenA)); !errors.Is(err, store.ErrFenced) {
		t.Errorf("stale put = %v, want ErrFenced", err)
	}
	err = sa.UpdateJob(t.Context(), "job-1", func([]byte) (store.JobWrite, error) { return jobWrite("failed", tokenA), nil })
	if !errors.Is(err, store.ErrFenced) {
		t.Errorf("stale update = %v, want ErrFenced", err)
	}
	if raw, _ := sb.GetJob(t.Context(), "job-1"); string(raw) != `"running"` {
		t.Errorf("record after the stale writes = %s, want the last fenced write", raw)
	}
	if err := sb.PutJob(t.Context(), jobWrite("completed", tokenB)); err != nil {
		t.Errorf("write under the new claim: %v", err)
	}
	if err := b.ReleaseJob(t.Context(), "job-1", tokenB); err != nil {
		t.Fatal(err)
	}
	if holder, err := b.JobHolder(t.Context(), "job-1"); err != nil || holder != "" {
		t.Errorf("holder after release = %q, %v", holder, err)
	}
}

// A node that dies keeps its claims until its lease expires; then another node claims its
// jobs, and the dead node's record is gone from the cluster's nodes.
func TestLeaseExpiryLetsAnotherNodeReclaim(t *testing.T) {
	t.Parallel()
	endpoint := etcdtest.Start(t)
	sa, sb := openStore(t, endpoint, "/expiry/"), openStore(t, endpoint, "/expiry/")
	const ttl = 2 * time.Second
	a, b := join(t, sa, "node-a", ttl), join(t, sb, "node-b", ttl)
	if nodes, err := b.Nodes(t.Context()); err != nil || len(nodes) != 2 {
		t.Fatalf("nodes = %v, %v; want node-a and node-b", nodes, err)
	}
	tokenA, err := a.ClaimJob(t.Context(), "job-1")
	if err != nil {
		t.Fatal(err)
	}
	a.Abandon() // killed: no more keep-alives, nothing revoked
	died := time.Now()
	var tokenB int64
	for {
		tokenB, err = b.ClaimJob(t.Context(), "job-1")
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrClaimed) {
			t.Fatal(err)
		}
		if time.Since(died) > ttl+5*time.Second {
			t.Fatalf("job still claimed %s after its node died (ttl %s)", time.Since(died), ttl)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if tokenB <= tokenA {
		t.Errorf("re-claim token %d, want above the dead node's %d", tokenB, tokenA)
	}
	if holder, _ := b.JobHolder(t.Context(), "job-1"); holder != "node-b" {
		t.Errorf("holder = %q, want node-b", holder)
	}
	nodes, err := b.Nodes(t.Context())
	if err != nil || len(nodes) != 1 || nodes[0].ID != "node-b" {
		t.Errorf("nodes after node-a died = %v, %v; want node-b alone", nodes, err)
	}
}
