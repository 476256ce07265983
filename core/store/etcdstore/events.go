package etcdstore

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hypersdk/hypersdk/core/events"
)

// eventsTTL is how long a shared event stays in etcd: long enough for every node's watch to
// see it, short enough that progress events do not pile up.
const eventsTTL = 30 * time.Second

// ShareEvents makes the events of jobs running on any node reach this node's subscribers (a
// WebSocket client sees the whole cluster): each event published on bus is put under
// events/<node id>/<seq> with a short lease, and every other node's events are relayed to
// bus's subscribers as the watch sees them. It runs until ctx ends. An event that cannot be
// shared (etcd unreachable, a backlog) is dropped for the other nodes, as a slow WebSocket
// client's are; the job's state in the store stays whole.
func ShareEvents(ctx context.Context, n *Node, bus *events.Bus, log hclog.Logger) {
	out := make(chan events.Event, 1024)
	stop := bus.Record(func(batch []events.Event) {
		for _, e := range batch {
			select {
			case out <- e:
			default: // never hold up the daemon's publishers
			}
		}
	})
	defer stop()
	mine := n.s.key("events", n.info.ID) + "/"
	go n.relayEvents(ctx, bus, mine, log)
	var lease clientv3.LeaseID
	var seq uint64
	for {
		var e events.Event
		select {
		case <-ctx.Done():
			return
		case e = <-out:
		}
		raw, err := json.Marshal(e)
		if err != nil {
			continue
		}
		if lease == 0 {
			cctx, cancel := n.s.op(ctx)
			grant, err := n.s.cli.Grant(cctx, int64(eventsTTL/time.Second))
			cancel()
			if err != nil {
				log.Warn("cannot share events with the cluster", "error", err)
				continue
			}
			lease = grant.ID
			go func(id clientv3.LeaseID) {
				ch, err := n.s.cli.KeepAlive(ctx, id)
				if err == nil {
					for range ch {
					}
				}
			}(lease)
		}
		seq++
		cctx, cancel := n.s.op(ctx)
		_, err = n.s.cli.Put(cctx, mine+hex16(seq), string(raw), clientv3.WithLease(lease))
		cancel()
		if err != nil {
			log.Warn("cannot share an event with the cluster", "event", e.Type, "error", err)
			lease = 0 // granted again: it may have expired while etcd was away
		}
	}
}

// relayEvents watches the events every node shares and relays the other nodes' to bus.
func (n *Node) relayEvents(ctx context.Context, bus *events.Bus, mine string, log hclog.Logger) {
	prefix := n.s.key("events") + "/"
	for ctx.Err() == nil {
		watch := n.s.cli.Watch(clientv3.WithRequireLeader(ctx), prefix, clientv3.WithPrefix(), clientv3.WithFilterDelete())
		for resp := range watch {
			for _, ev := range resp.Events {
				if strings.HasPrefix(string(ev.Kv.Key), mine) {
					continue
				}
				var e events.Event
				if err := json.Unmarshal(ev.Kv.Value, &e); err == nil {
					bus.Relay(e)
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second): // the watch broke (leader lost): watch again
			log.Debug("watching the cluster's events again")
		}
	}
}
