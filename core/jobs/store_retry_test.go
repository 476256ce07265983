package jobs

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/sdk/examples/testprovider/fake"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// failingUpdates is a store whose first few job updates fail, as a full disk or an
// unreachable etcd fails them.
type failingUpdates struct {
	store.Backend
	left atomic.Int32
}

var errDiskFull = errors.New("write hypersdk.db: no space left on device")

func (s *failingUpdates) UpdateJob(ctx context.Context, id string, change func([]byte) (store.JobWrite, error)) error {
	if s.left.Add(-1) >= 0 {
		return errDiskFull
	}
	return s.Backend.UpdateJob(ctx, id, change)
}

// A job whose start could not be written stays queued: it starts once the store takes
// writes again, in the same daemon, and the starts that were never stored count no attempt.
func TestAJobWhoseStartCouldNotBeStoredStartsLater(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		failed int32 // updates refused before the store recovers
	}{
		{"one refused start", 1},
		{"three refused starts", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, db := newStoreManager(t)
			flaky := &failingUpdates{Backend: db}
			m := startOn(t, flaky, events.NewBus(), fake.New())
			flaky.left.Store(c.failed)
			id := submitOne(t, m)
			j := waitJobFor(t, m, id, "it to end", func(j Job) bool { return j.Status.Terminal() })
			if j.Status != StatusCompleted || j.Attempts != 1 {
				t.Errorf("job %s after %d attempts (%q), want completed in 1", j.Status, j.Attempts, j.Error)
			}
			if left := flaky.left.Load(); left >= 0 {
				t.Errorf("%d refused updates were never tried", left+1)
			}
		})
	}
}

// failingEnds is a store that fails the first few writes that end a job: refused before they
// are stored, or stored with the reply lost on its way back (etcd past its deadline).
type failingEnds struct {
	store.Backend
	stored bool // the refused writes are stored anyway
	left   atomic.Int32
}

func (s *failingEnds) UpdateJob(ctx context.Context, id string, change func([]byte) (store.JobWrite, error)) error {
	ends := false
	err := s.Backend.UpdateJob(ctx, id, func(raw []byte) (store.JobWrite, error) {
		w, err := change(raw)
		ends = err == nil && Status(w.Entry.Status).Terminal()
		if ends && !s.stored && s.left.Load() > 0 {
			s.left.Add(-1)
			return store.JobWrite{}, errDiskFull
		}
		return w, err
	})
	if err == nil && ends && s.stored && s.left.Add(-1) >= 0 {
		return errDiskFull
	}
	return err
}

// A job whose end could not be written is ended by a later try, not left running until the
// next start-up; a write that was stored but answered with an error is not made twice (its
// failure recorded once), and the end event goes out once.
func TestAJobWhoseEndCouldNotBeStoredEndsLater(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		stored  bool
		corrupt bool // the export fails verification: the job fails
		want    Status
	}{
		{"completed, refused twice", false, false, StatusCompleted},
		{"completed, reply lost", true, false, StatusCompleted},
		{"failed, refused twice", false, true, StatusFailed},
		{"failed, reply lost", true, true, StatusFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, db := newStoreManager(t)
			flaky := &failingEnds{Backend: db, stored: c.stored}
			flaky.left.Store(2)
			if c.stored {
				flaky.left.Store(1)
			}
			bus := events.NewBus()
			published := endEventsOf(t, bus)
			var p provider.Provider = fake.New()
			if c.corrupt {
				p = &corrupting{Provider: fake.New()}
			}
			m := startOn(t, flaky, bus, p)
			id := submitOne(t, m)
			j := waitJobFor(t, m, id, "it to end", func(j Job) bool { return j.Status.Terminal() })
			wantFailures := 0
			if c.want == StatusFailed {
				wantFailures = 1
			}
			if j.Status != c.want || j.Attempts != 1 || len(j.Failures) != wantFailures {
				t.Errorf("job %s after %d attempts with %d failures recorded (%q), want %s after 1 with %d", j.Status, j.Attempts, len(j.Failures), j.Error, c.want, wantFailures)
			}
			want := map[Status]string{StatusCompleted: events.JobCompleted, StatusFailed: events.JobFailed}[c.want]
			waitFor(t, "its end event", func() bool { return len(published()) > 0 })
			// Published once the write that ended the job has returned (a stored one is seen
			// ended before that).
			if left := flaky.left.Load(); left > 0 {
				t.Errorf("%d refused end writes were never tried", left)
			}
			if got := published(); !slices.Equal(got, []string{id + " " + want}) {
				t.Errorf("end events = %q, want one %s", got, want)
			}
			waitFor(t, "the end event's note to be cleared", func() bool {
				_, err := db.GetRecord(context.Background(), store.EndEvents, id)
				return errors.Is(err, store.ErrNotFound)
			})
		})
	}
}

// startOn starts a manager on backend with provider p (configured here) and a 1 ms retry
// backoff; it is closed when the test ends.
func startOn(t *testing.T, backend store.Backend, bus *events.Bus, p provider.Provider) *Manager {
	t.Helper()
	if err := p.Configure(context.Background(), provider.Config{}); err != nil {
		t.Fatal(err)
	}
	m := NewManager(Config{Workers: 1, ConcurrentExports: 1, RetryBackoff: time.Millisecond, BasePath: t.TempDir()},
		backend, bus, oneProvider{p}, KVMConfig{}, hclog.NewNullLogger())
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}
