// Package etcdstore keeps hypervisord's store in an etcd cluster, so several daemons (nodes)
// share one queue: database.backend: etcd. It implements store.Backend with etcd transactions,
// each compare-and-swap on the revisions it read, and retried when another node wrote first.
//
// Key layout, under database.etcd.prefix (default "/hypersdk/"):
//
//	<prefix>
//	├── meta/schema_version                  → "1"
//	├── jobs/<job id>                        → job record (JSON, as in bbolt)
//	├── job_index/entries/<job id>           → created ns, finished ns, status (as in bbolt)
//	├── job_index/by_created/<ns hex>/<id>   → "" : GET /jobs pages, newest first
//	├── job_index/by_status/<s>/<ns hex>/<id>→ "" : GET /jobs?status=
//	├── job_index/by_finished/<ns hex>/<id>  → "" : retention, oldest first
//	├── job_index/counts/<status>            → decimal count (/metrics)
//	├── job_logs/<job id>/<seq hex>          → log line (JSON)
//	├── seq/job_logs/<job id>                → last log sequence of the job
//	├── schedules/<id>, policies/<id>, webhooks/<id> → records (JSON)
//	├── outbox/<seq hex>                     → pending webhook delivery; seq/outbox its counter
//	├── audit/<seq hex>                      → audit entry; seq/audit its counter
//	├── claims/<job id>                      → node id, under that node's lease (claims.go)
//	└── nodes/<node id>                      → node record, under its lease (claims.go)
//
// Numbers in keys are 16 hex digits, so keys sort as the numbers do. etcd refuses a transaction
// of more than --max-txn-ops operations (128 by default); writes of many keys are split below
// that (see maxOps).
package etcdstore

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/transport"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/hypersdk/hypersdk/core/store"
)

// SchemaVersion is the key layout this build writes and understands.
const SchemaVersion = 1

// maxOps keeps every transaction under etcd's default --max-txn-ops of 128.
const maxOps = 120

// Config says how to reach the cluster: database.etcd in the daemon configuration.
type Config struct {
	Endpoints []string
	// Prefix is put before every key, so several deployments can share one cluster.
	Prefix   string
	Username string
	Password string
	// CAFile, CertFile and KeyFile turn on TLS: the cluster's CA, and a client certificate
	// when the cluster asks for one.
	CAFile, CertFile, KeyFile string
	DialTimeout               time.Duration
	// RequestTimeout bounds one request whose context has no deadline of its own.
	RequestTimeout time.Duration
}

// ErrNewerSchema means the keys were written by a newer hypervisord than this one.
var ErrNewerSchema = store.ErrNewerSchema

// Store is a store.Backend in etcd.
type Store struct {
	cli     *clientv3.Client
	prefix  string
	timeout time.Duration
	desc    string
}

var _ store.Backend = (*Store)(nil)

// Open connects to the cluster, checks it answers and records (or checks) the schema version.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if len(cfg.Endpoints) == 0 {
		return nil, errors.New("open etcd store: no endpoints")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "/hypersdk/"
	}
	if !strings.HasSuffix(cfg.Prefix, "/") {
		cfg.Prefix += "/"
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 5 * time.Second
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 10 * time.Second
	}
	var tlsCfg *tls.Config
	if cfg.CAFile != "" || cfg.CertFile != "" {
		info := transport.TLSInfo{TrustedCAFile: cfg.CAFile, CertFile: cfg.CertFile, KeyFile: cfg.KeyFile}
		var err error
		if tlsCfg, err = info.ClientConfig(); err != nil {
			return nil, fmt.Errorf("open etcd store: TLS: %w", err)
		}
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints: cfg.Endpoints, DialTimeout: cfg.DialTimeout, TLS: tlsCfg,
		Username: cfg.Username, Password: cfg.Password, Context: context.WithoutCancel(ctx),
		Logger: zap.NewNop(), // the client retries on its own; errors reach the caller
	})
	if err != nil {
		return nil, fmt.Errorf("open etcd store at %s: %w", strings.Join(cfg.Endpoints, ","), err)
	}
	s := &Store{cli: cli, prefix: cfg.Prefix, timeout: cfg.RequestTimeout,
		desc: fmt.Sprintf("etcd %s prefix %s", strings.Join(cfg.Endpoints, ","), cfg.Prefix)}
	if err := s.init(ctx); err != nil {
		cli.Close()
		return nil, fmt.Errorf("open etcd store at %s: %w", strings.Join(cfg.Endpoints, ","), err)
	}
	return s, nil
}

func (s *Store) init(ctx context.Context) error {
	ctx, cancel := s.op(ctx)
	defer cancel()
	key := s.key("meta/schema_version")
	resp, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, strconv.Itoa(SchemaVersion))).
		Else(clientv3.OpGet(key)).Commit()
	if err != nil {
		return err
	}
	if resp.Succeeded {
		return nil
	}
	raw := string(resp.Responses[0].GetResponseRange().Kvs[0].Value)
	v, err := strconv.Atoi(raw)
	if err != nil {
		return fmt.Errorf("schema_version %q is not a number", raw)
	}
	if v > SchemaVersion {
		return fmt.Errorf("%w: schema %d, this build understands up to %d", ErrNewerSchema, v, SchemaVersion)
	}
	return nil
}

// Client is the etcd client, for the node claims and elections built on the same cluster.
func (s *Store) Client() *clientv3.Client { return s.cli }

// Prefix is the key prefix every key of this store starts with.
func (s *Store) Prefix() string { return s.prefix }

// Describe names the cluster and prefix.
func (s *Store) Describe() string { return s.desc }

// Close ends the connection.
func (s *Store) Close() error { return s.cli.Close() }

// op bounds a request whose context has no deadline.
func (s *Store) op(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, s.timeout)
}

func (s *Store) key(parts ...string) string { return s.prefix + strings.Join(parts, "/") }

// hex16 is n as 16 hex digits: keys sort as the numbers do.
func hex16(n uint64) string { return fmt.Sprintf("%016x", n) }

func parseHex16(s string) (uint64, error) { return strconv.ParseUint(s, 16, 64) }

// scan calls fn with every key under prefix in key order, 500 at a time, all read at one
// revision.
func (s *Store) scan(ctx context.Context, prefix string, fn func(key string, value []byte) error) error {
	return s.scanRange(ctx, prefix, clientv3.GetPrefixRangeEnd(prefix), fn)
}

// scanRange is scan over the keys from from (included) to end (excluded).
func (s *Store) scanRange(ctx context.Context, from, end string, fn func(key string, value []byte) error) error {
	var rev int64
	for {
		opts := []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(500)}
		if rev != 0 {
			opts = append(opts, clientv3.WithRev(rev))
		}
		cctx, cancel := s.op(ctx)
		resp, err := s.cli.Get(cctx, from, opts...)
		cancel()
		if err != nil {
			return err
		}
		rev = resp.Header.Revision
		for _, kv := range resp.Kvs {
			if err := fn(string(kv.Key), kv.Value); err != nil {
				return err
			}
		}
		if !resp.More || len(resp.Kvs) == 0 {
			return nil
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
}

// errConflict means a compare failed because another writer came first: read again and retry.
var errConflict = errors.New("concurrent write")

// retry runs attempt until it does not report errConflict, with a short growing pause.
func retry(ctx context.Context, what string, attempt func() error) error {
	pause := time.Millisecond
	for {
		err := attempt()
		if !errors.Is(err, errConflict) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w", what, ctx.Err())
		case <-time.After(pause):
		}
		pause = min(pause*2, 100*time.Millisecond)
	}
}
