package store_test

import (
	"path/filepath"
	"testing"

	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/core/store/storetest"
)

// The bbolt file passes the suite every backend passes.
func TestBoltConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Backend {
		s, err := store.Open(filepath.Join(t.TempDir(), "hypersdk.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
