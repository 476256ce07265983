package etcdstore_test

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/core/store/etcdstore"
	"github.com/hypersdk/hypersdk/core/store/etcdstore/etcdtest"
	"github.com/hypersdk/hypersdk/core/store/storetest"
)

// The etcd store passes the suite the bbolt file passes, against a real etcd server; each case
// gets its own key prefix, so it starts empty.
func TestEtcdConformance(t *testing.T) {
	t.Parallel()
	endpoint := etcdtest.Start(t)
	var n atomic.Int32
	storetest.Run(t, func(t *testing.T) store.Backend {
		s, err := etcdstore.Open(t.Context(), etcdstore.Config{Endpoints: []string{endpoint}, Prefix: fmt.Sprintf("/conformance-%d/", n.Add(1))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
