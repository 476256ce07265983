package main

import (
	"context"
	"fmt"
	"os"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/config"
	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/pipeline"
	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/core/store/etcdstore"
)

// openStore opens database.backend: the bbolt file at database.path (the default), or the etcd
// cluster of database.etcd that several daemons share.
func openStore(ctx context.Context, db config.Database) (store.Backend, error) {
	if db.Backend != "etcd" {
		return store.Open(db.Path)
	}
	s, err := etcdstore.Open(ctx, etcdConfig(db.Etcd))
	if err != nil {
		return nil, fmt.Errorf("database.etcd: %w", err)
	}
	return s, nil
}

// etcdConfig is database.etcd as the etcd store takes it.
func etcdConfig(e config.Etcd) etcdstore.Config {
	return etcdstore.Config{
		Endpoints: e.Endpoints, Prefix: e.Prefix, Username: e.Username, Password: e.Password,
		CAFile: e.CAFile, CertFile: e.CertFile, KeyFile: e.KeyFile,
		DialTimeout: e.DialTimeout.Std(), RequestTimeout: e.RequestTimeout.Std(),
	}
}

// joinCluster makes the daemon a node of the etcd cluster behind db (database.etcd.node_id,
// default the host name; its lease lives database.etcd.lease_ttl): the jobs run under its
// claims. It returns nil on bbolt. leave revokes the lease, so a clean stop hands the node's
// jobs over at once.
func joinCluster(ctx context.Context, db store.Backend, cfg config.Database, address string) (cluster store.Claimer, leave func(), err error) {
	s, ok := db.(*etcdstore.Store)
	if !ok {
		return nil, func() {}, nil
	}
	id := cfg.Etcd.NodeID
	if id == "" {
		if id, err = os.Hostname(); err != nil {
			return nil, nil, fmt.Errorf("database.etcd.node_id is not set and the host name is unknown: %w", err)
		}
	}
	node, err := etcdstore.Join(ctx, s, store.Node{ID: id, Address: address}, cfg.Etcd.LeaseTTL.Std())
	if err != nil {
		return nil, nil, fmt.Errorf("database.etcd: %w", err)
	}
	return node, func() { node.Close() }, nil
}

// electedFor hands the cluster's election to a duty that must run on one node at a time
// (firing schedules, delivering webhooks); on bbolt there is none to hand.
func electedFor(cluster store.Claimer, leadWith func(store.Elector)) {
	if e, ok := cluster.(store.Elector); ok {
		leadWith(e)
	}
}

// shareEvents relays the events of every node's jobs to this node's WebSocket clients, and
// this node's to theirs; nothing on bbolt.
func shareEvents(ctx context.Context, cluster store.Claimer, bus *events.Bus, log hclog.Logger) {
	if node, ok := cluster.(*etcdstore.Node); ok {
		go etcdstore.ShareEvents(ctx, node, bus, log)
	}
}

// sourceBudgets is export.source_budgets: held in etcd across the cluster, or on this daemon.
func sourceBudgets(cluster store.Claimer, limits map[string]int) pipeline.SourceBudgets {
	if len(limits) == 0 {
		return nil
	}
	if node, ok := cluster.(*etcdstore.Node); ok {
		return node.Budgets(limits)
	}
	return pipeline.NewLocalBudgets(limits)
}
