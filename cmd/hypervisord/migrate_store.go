package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/hypersdk/hypersdk/core/config"
	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/core/store/etcdstore"
)

// migrateStore is `hypervisord migrate-store --from bbolt:PATH --to etcd[:URL,…]`: it copies
// a store whole into an empty other, with no daemon running on either. An etcd side takes its
// TLS, auth and key prefix from database.etcd of --config; URLs after "etcd:" replace the
// configured endpoints.
func migrateStore(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("hypervisord migrate-store", flag.ContinueOnError)
	flags.SetOutput(stderr)
	configPath := flags.String("config", "", "configuration whose database.etcd says how to reach etcd")
	from := flags.String("from", "", "the store to read: bbolt:PATH or etcd[:URL,…]")
	to := flags.String("to", "", "the empty store to fill: etcd[:URL,…] or bbolt:PATH")
	if err := flags.Parse(args); err != nil {
		return exitConfig
	}
	cfg, err := config.Load(*configPath)
	if err != nil {
		fmt.Fprintln(stderr, "hypervisord:", err)
		return exitConfig
	}
	var stores [2]store.Backend
	for i, side := range []struct{ flag, value string }{{"--from", *from}, {"--to", *to}} {
		open, err := storeOpener(side.value, cfg.Database.Etcd)
		if err != nil {
			fmt.Fprintf(stderr, "hypervisord migrate-store: %s: %v\n", side.flag, err)
			return exitConfig
		}
		if stores[i], err = open(ctx); err != nil {
			fmt.Fprintf(stderr, "hypervisord migrate-store: %s %s: %v\n", side.flag, side.value, err)
			return exitRuntime
		}
		defer stores[i].Close()
	}
	n, err := store.Copy(ctx, stores[0], stores[1])
	if err != nil {
		fmt.Fprintf(stderr, "hypervisord migrate-store: %s → %s: %v\n", stores[0].Describe(), stores[1].Describe(), err)
		return exitRuntime
	}
	fmt.Fprintf(stdout, "copied %s → %s: %d jobs, %d log lines, %d schedules, %d policies, %d webhooks, %d webhook deliveries, %d audit entries\n",
		stores[0].Describe(), stores[1].Describe(), n.Jobs, n.LogLines, n.Schedules, n.Policies, n.Webhooks, n.Deliveries, n.AuditEntries)
	return exitOK
}

// storeOpener parses bbolt:PATH or etcd[:URL,…] into a function that opens that store.
func storeOpener(spec string, etcd config.Etcd) (func(context.Context) (store.Backend, error), error) {
	kind, rest, _ := strings.Cut(spec, ":")
	switch kind {
	case "bbolt":
		if rest == "" {
			return nil, errors.New("bbolt: needs the file's path, as bbolt:/var/lib/hypervisord/hypersdk.db")
		}
		return func(context.Context) (store.Backend, error) { return store.Open(rest) }, nil
	case "etcd":
		if rest != "" {
			etcd.Endpoints = strings.Split(rest, ",")
		}
		if len(etcd.Endpoints) == 0 {
			return nil, errors.New("etcd: names no endpoint and database.etcd.endpoints is empty; write etcd:https://host:2379[,…] or pass --config")
		}
		return func(ctx context.Context) (store.Backend, error) {
			return etcdstore.Open(ctx, etcdConfig(etcd))
		}, nil
	}
	return nil, fmt.Errorf("must be bbolt:PATH or etcd[:URL,…], got %q", spec)
}
