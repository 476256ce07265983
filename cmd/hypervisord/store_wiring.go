package main

import (
	"context"
	"fmt"

	"github.com/hypersdk/hypersdk/core/config"
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
