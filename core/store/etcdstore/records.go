package etcdstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/hypersdk/hypersdk/core/store"
)

func (s *Store) recordKey(c store.Collection, id string) string { return s.key(string(c), id) }

// GetRecord returns one record of c.
func (s *Store) GetRecord(ctx context.Context, c store.Collection, id string) ([]byte, error) {
	cctx, cancel := s.op(ctx)
	defer cancel()
	resp, err := s.cli.Get(cctx, s.recordKey(c, id))
	if err != nil {
		return nil, fmt.Errorf("read %s %s: %w", c, id, err)
	}
	if len(resp.Kvs) == 0 {
		return nil, fmt.Errorf("%s %s: %w", c, id, store.ErrNotFound)
	}
	return resp.Kvs[0].Value, nil
}

// PutRecord writes one record of c.
func (s *Store) PutRecord(ctx context.Context, c store.Collection, id string, raw []byte) error {
	cctx, cancel := s.op(ctx)
	defer cancel()
	if _, err := s.cli.Put(cctx, s.recordKey(c, id), string(raw)); err != nil {
		return fmt.Errorf("write %s %s: %w", c, id, err)
	}
	return nil
}

// UpdateRecord reads, changes and writes a record if nobody wrote it in between.
func (s *Store) UpdateRecord(ctx context.Context, c store.Collection, id string, change func([]byte) ([]byte, error)) error {
	key := s.recordKey(c, id)
	return retry(ctx, fmt.Sprintf("update %s %s", c, id), func() error {
		cctx, cancel := s.op(ctx)
		defer cancel()
		resp, err := s.cli.Get(cctx, key)
		if err != nil {
			return fmt.Errorf("read %s %s: %w", c, id, err)
		}
		if len(resp.Kvs) == 0 {
			return fmt.Errorf("%s %s: %w", c, id, store.ErrNotFound)
		}
		out, err := change(resp.Kvs[0].Value)
		if err != nil {
			return err
		}
		txn, err := s.cli.Txn(cctx).If(clientv3.Compare(clientv3.ModRevision(key), "=", resp.Kvs[0].ModRevision)).
			Then(clientv3.OpPut(key, string(out))).Commit()
		if err != nil {
			return fmt.Errorf("write %s %s: %w", c, id, err)
		}
		if !txn.Succeeded {
			return errConflict
		}
		return nil
	})
}

// DeleteRecord removes a record of c.
func (s *Store) DeleteRecord(ctx context.Context, c store.Collection, id string) error {
	cctx, cancel := s.op(ctx)
	defer cancel()
	resp, err := s.cli.Delete(cctx, s.recordKey(c, id))
	if err != nil {
		return fmt.Errorf("delete %s %s: %w", c, id, err)
	}
	if resp.Deleted == 0 {
		return fmt.Errorf("%s %s: %w", c, id, store.ErrNotFound)
	}
	return nil
}

// ListRecords walks c in id order.
func (s *Store) ListRecords(ctx context.Context, c store.Collection, fn func(string, []byte) error) error {
	prefix := s.key(string(c)) + "/"
	return s.scan(ctx, prefix, func(k string, v []byte) error { return fn(strings.TrimPrefix(k, prefix), v) })
}

// appendNumbered stores n values under prefix/<seq hex>, numbered after the counter seq/<name>,
// in transactions compared on the counter.
func (s *Store) appendNumbered(ctx context.Context, name string, n int, encode func(i int, seq uint64) ([]byte, error)) error {
	seqKey := s.key("seq", name)
	for start := 0; start < n; start += linesPerTxn {
		count := min(linesPerTxn, n-start)
		err := retry(ctx, "append to "+name, func() error {
			last, rev, _, err := s.readSeq(ctx, seqKey)
			if err != nil {
				return err
			}
			ops := make([]clientv3.Op, 0, count+1)
			for i := range count {
				seq := last + uint64(i) + 1
				raw, err := encode(start+i, seq)
				if err != nil {
					return err
				}
				ops = append(ops, clientv3.OpPut(s.key(name, hex16(seq)), string(raw)))
			}
			ops = append(ops, clientv3.OpPut(seqKey, strconv.FormatUint(last+uint64(count), 10)))
			cctx, cancel := s.op(ctx)
			defer cancel()
			txn, err := s.cli.Txn(cctx).If(clientv3.Compare(clientv3.ModRevision(seqKey), "=", rev)).Then(ops...).Commit()
			if err != nil {
				return err
			}
			if !txn.Succeeded {
				return errConflict
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("append to %s: %w", name, err)
		}
	}
	return nil
}

// AddDeliveries numbers and stores deliveries.
func (s *Store) AddDeliveries(ctx context.Context, n int, encode func(int, uint64) ([]byte, error)) error {
	return s.appendNumbered(ctx, "outbox", n, encode)
}

// ForEachDelivery walks the outbox in sequence order.
func (s *Store) ForEachDelivery(ctx context.Context, fn func(uint64, []byte) error) error {
	prefix := s.key("outbox") + "/"
	return s.scan(ctx, prefix, func(k string, v []byte) error {
		seq, err := parseHex16(strings.TrimPrefix(k, prefix))
		if err != nil {
			return fmt.Errorf("outbox key %s: %w", k, err)
		}
		return fn(seq, v)
	})
}

// PutDelivery rewrites one delivery.
func (s *Store) PutDelivery(ctx context.Context, seq uint64, raw []byte) error {
	cctx, cancel := s.op(ctx)
	defer cancel()
	if _, err := s.cli.Put(cctx, s.key("outbox", hex16(seq)), string(raw)); err != nil {
		return fmt.Errorf("write delivery %d: %w", seq, err)
	}
	return nil
}

// DeleteDelivery removes one delivery.
func (s *Store) DeleteDelivery(ctx context.Context, seq uint64) error {
	cctx, cancel := s.op(ctx)
	defer cancel()
	if _, err := s.cli.Delete(cctx, s.key("outbox", hex16(seq))); err != nil {
		return fmt.Errorf("delete delivery %d: %w", seq, err)
	}
	return nil
}

// AppendAudit numbers and stores one entry.
func (s *Store) AppendAudit(ctx context.Context, encode func(uint64) ([]byte, error)) error {
	return s.appendNumbered(ctx, "audit", 1, func(_ int, seq uint64) ([]byte, error) { return encode(seq) })
}

// AuditPage reads entries newest first.
func (s *Store) AuditPage(ctx context.Context, offset, limit int, fn func([]byte) error) (int, error) {
	prefix := s.key("audit") + "/"
	cctx, cancel := s.op(ctx)
	defer cancel()
	count, err := s.cli.Get(cctx, prefix, clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil {
		return 0, fmt.Errorf("count audit entries: %w", err)
	}
	opts := []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend), clientv3.WithRev(count.Header.Revision)}
	if limit > 0 {
		opts = append(opts, clientv3.WithLimit(int64(offset+limit)))
	}
	resp, err := s.cli.Get(cctx, prefix, opts...)
	if err != nil {
		return 0, fmt.Errorf("read audit entries: %w", err)
	}
	for i := offset; i < len(resp.Kvs); i++ {
		if err := fn(resp.Kvs[i].Value); err != nil {
			return 0, err
		}
	}
	return int(count.Count), nil
}
