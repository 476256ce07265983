// Package etcdtest starts real etcd servers (go.etcd.io/etcd/server/v3/embed) inside a test:
// one member, or a cluster of several, on free loopback ports with their data in t.TempDir,
// stopped when the test ends. Tests of the etcd store and of several daemons sharing a cluster
// use it; nothing is faked.
package etcdtest

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/etcd/server/v3/embed"
)

// Member is one running etcd server.
type Member struct {
	Name      string
	ClientURL string
	etcd      *embed.Etcd
	stop      sync.Once
	ready     atomic.Bool // it served: its cluster formed
}

// Stop stops the member (a crash, as far as the rest of the cluster can tell); once. embed's
// Close never returns for a member that did not become ready (it waits for client servers that
// were never started), so such a member is closed in the background instead of hanging the
// test's cleanup.
func (m *Member) Stop() {
	m.stop.Do(func() {
		if m.ready.Load() {
			m.etcd.Close()
			return
		}
		go m.etcd.Close()
	})
}

// IsLeader says whether the member leads the cluster's raft now.
func (m *Member) IsLeader() bool { return m.etcd.Server.Leader() == m.etcd.Server.MemberID() }

// Endpoints are the client URLs of members.
func Endpoints(members []*Member) []string {
	out := make([]string, len(members))
	for i, m := range members {
		out[i] = m.ClientURL
	}
	return out
}

// Start runs a single-member cluster and returns its client endpoint.
func Start(t testing.TB) string {
	t.Helper()
	return StartCluster(t, 1)[0].ClientURL
}

// StartDurable is Start with fsync on, as a real member writes: for measuring, not testing.
func StartDurable(t testing.TB) string {
	t.Helper()
	return startCluster(t, 1, true)[0].ClientURL
}

// StartCluster runs a cluster of n members and returns them once they serve.
func StartCluster(t testing.TB, n int) []*Member {
	t.Helper()
	return startCluster(t, n, false)
}

// startAttempts bounds the tries to start a cluster: a port found free can be taken by another
// test before etcd binds it, and the cluster is then started again on other ports.
const startAttempts = 5

func startCluster(t testing.TB, n int, durable bool) []*Member {
	t.Helper()
	for attempt := 1; ; attempt++ {
		members, err := tryCluster(t, n, durable)
		if err == nil {
			return members
		}
		for _, m := range members {
			if m != nil {
				m.Stop()
			}
		}
		if !errors.Is(err, syscall.EADDRINUSE) || attempt == startAttempts {
			t.Fatal(err)
		}
	}
}

// tryCluster starts n members on ports free now and waits until they serve. On an error, the
// members it started are returned for the caller to stop.
func tryCluster(t testing.TB, n int, durable bool) ([]*Member, error) {
	t.Helper()
	type ports struct{ client, peer url.URL }
	all := make([]ports, n)
	var initial []string
	for i := range all {
		all[i] = ports{client: freeURL(t), peer: freeURL(t)}
		initial = append(initial, fmt.Sprintf("m%d=%s", i, all[i].peer.String()))
	}
	members := make([]*Member, n)
	started := make(chan error, n)
	for i := range all {
		cfg := embed.NewConfig()
		cfg.Name = fmt.Sprintf("m%d", i)
		cfg.Dir = t.TempDir()
		cfg.ListenClientUrls = []url.URL{all[i].client}
		cfg.AdvertiseClientUrls = []url.URL{all[i].client}
		cfg.ListenPeerUrls = []url.URL{all[i].peer}
		cfg.AdvertisePeerUrls = []url.URL{all[i].peer}
		cfg.InitialCluster = strings.Join(initial, ",")
		cfg.InitialClusterToken = "hypersdk-test"
		cfg.LogLevel = "fatal" // its shutdown logs "server closed" errors: noise in a test
		cfg.LogOutputs = []string{"stderr"}
		// A test kills daemons, not etcd members' disks: no fsync keeps the tests quick.
		cfg.UnsafeNoFsync = !durable
		e, err := embed.StartEtcd(cfg)
		if err != nil {
			return members, fmt.Errorf("start etcd member %d: %w", i, err)
		}
		m := &Member{Name: cfg.Name, ClientURL: all[i].client.String(), etcd: e}
		members[i] = m
		t.Cleanup(m.Stop)
		go func() {
			select {
			case <-e.Server.ReadyNotify():
				m.ready.Store(true)
				started <- nil
			case err := <-e.Err():
				started <- err
			case <-time.After(30 * time.Second):
				started <- fmt.Errorf("etcd member %s not ready after 30s", cfg.Name)
			}
		}()
	}
	for range n {
		if err := <-started; err != nil {
			return members, err
		}
	}
	return members, nil
}

// freeURL is an http URL on a loopback port free right now.
func freeURL(t testing.TB) url.URL {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return url.URL{Scheme: "http", Host: addr}
}
