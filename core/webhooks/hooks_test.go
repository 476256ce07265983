package webhooks

import (
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
)

// A hook that cannot be encoded is refused, and nothing is stored for it: an empty record would
// make every later List fail.
func TestAddReportsAHookItCannotEncode(t *testing.T) {
	t.Parallel()
	d, err := NewDispatcher(openStore(t), events.NewBus(), nil, Guard{}, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	// encoding/json refuses a time past year 9999, the one way a Hook fails to encode.
	d.now = func() time.Time { return time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }
	if h, err := d.Add(Hook{URL: "https://hooks.example.com/x", Events: []string{"*"}}); err == nil {
		t.Fatalf("Add = %+v, nil; want the encoding error", h)
	}
	hooks, err := d.List()
	if err != nil || len(hooks) != 0 {
		t.Fatalf("List after the refused Add = %v, %v; want no hook and no error", hooks, err)
	}
}
