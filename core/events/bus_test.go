package events

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestSlowSubscriberIsDroppedOthersKeepReceiving(t *testing.T) {
	t.Parallel()
	b := NewBus()
	slow, _ := b.Subscribe(1)
	fast, cancel := b.Subscribe(100)
	defer cancel()
	for i := 0; i < 10; i++ {
		b.Publish(Event{Type: JobProgress, JobID: "j", Progress: float64(i)})
	}
	n := 0
	for range slow {
		n++
	}
	if n != 1 {
		t.Errorf("slow subscriber got %d events before being dropped, want 1", n)
	}
	for i := 0; i < 10; i++ {
		select {
		case e := <-fast:
			if e.Progress != float64(i) || e.Time.IsZero() || e.ID == "" {
				t.Fatalf("event %d = %+v", i, e)
			}
		case <-time.After(time.Second):
			t.Fatal("fast subscriber missed events")
		}
	}
}

func TestCancelClosesTheChannel(t *testing.T) {
	t.Parallel()
	b := NewBus()
	ch, cancel := b.Subscribe(4)
	cancel()
	cancel()
	if _, open := <-ch; open {
		t.Fatal("channel open after cancel")
	}
	b.Publish(Event{Type: JobCreated})
}

const burst = 10_000

// A follower that reads nothing while 10,000 events are published still gets every one of its
// types, in order, afterwards — while a WebSocket-style subscriber with the same backlog is
// dropped and the publisher never waits for either.
func TestSlowFollowerGetsEveryEventOfABurstInOrder(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		types []string
		want  func(i int) bool // which of the published events the follower should see
	}{
		{"every type", nil, func(int) bool { return true }},
		{"job ends only", []string{JobCompleted, JobFailed}, func(i int) bool { return i%10 == 0 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := NewBus()
			q := b.Follow(c.types...)
			defer q.Close()
			lossy, cancel := b.Subscribe(16)
			defer cancel()
			wanted := 0
			for i := 0; i < burst; i++ {
				typ := JobProgress
				if i%10 == 0 {
					typ = JobCompleted
				}
				b.Publish(Event{Type: typ, JobID: "j", Progress: float64(i)})
				if c.want(i) {
					wanted++
				}
			}
			if q.Len() != wanted {
				t.Fatalf("queue holds %d events, want %d", q.Len(), wanted)
			}
			got := 0
			for i := 0; i < burst; i++ {
				if !c.want(i) {
					continue
				}
				e, err := q.Next(context.Background())
				if err != nil || e.Progress != float64(i) || e.ID == "" {
					t.Fatalf("event %d: %+v, %v", i, e, err)
				}
				got++
			}
			if got != wanted || q.Len() != 0 {
				t.Errorf("follower got %d of %d events, %d left over", got, wanted, q.Len())
			}
			n := 0
			for range lossy {
				n++
			}
			if n != 16 {
				t.Errorf("lossy subscriber got %d events before being dropped, want its buffer of 16", n)
			}
		})
	}
}

func TestFollowerNextEndsWithContextAndClose(t *testing.T) {
	t.Parallel()
	b := NewBus()
	q := b.Follow()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Next on an ended context = %v", err)
	}
	b.Publish(Event{Type: JobCreated})
	q.Close()
	q.Close()
	if _, err := q.Next(context.Background()); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after Close = %v, want ErrClosed", err)
	}
	b.Publish(Event{Type: JobCreated}) // a closed queue is no longer fed
	if q.Len() != 0 {
		t.Errorf("closed queue holds %d events", q.Len())
	}

	waiting := b.Follow()
	defer waiting.Close()
	got := make(chan Event)
	go func() {
		e, _ := waiting.Next(context.Background())
		got <- e
	}()
	b.Publish(Event{Type: JobStarted, JobID: "late"})
	if e := <-got; e.JobID != "late" {
		t.Errorf("a waiting Next got %+v", e)
	}
}

// A slow recorder under a burst of 10,000 events from 8 publishers has every event by the time
// its Publish returns, each publisher's events in order, none twice; concurrent publishers
// share batches.
func TestSlowRecorderHasEveryEventBeforePublishReturns(t *testing.T) {
	t.Parallel()
	b := NewBus()
	var mu sync.Mutex
	seen := map[string]bool{}
	var order []Event
	batches := 0
	stop := b.Record(func(batch []Event) {
		time.Sleep(100 * time.Microsecond) // a disk write
		mu.Lock()
		defer mu.Unlock()
		batches++
		for _, e := range batch {
			if seen[e.ID] {
				t.Errorf("event %s recorded twice", e.ID)
			}
			seen[e.ID] = true
			order = append(order, e)
		}
	})
	const publishers = 8
	var wg sync.WaitGroup
	for p := 0; p < publishers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < burst/publishers; i++ {
				id := fmt.Sprintf("p%d-%d", p, i)
				b.Publish(Event{ID: id, Type: JobProgress, JobID: fmt.Sprint(p), Progress: float64(i)})
				mu.Lock()
				ok := seen[id]
				mu.Unlock()
				if !ok {
					t.Errorf("Publish of %s returned before the recorder had it", id)
					return
				}
			}
		}()
	}
	wg.Wait()
	stop()
	stop()
	b.Publish(Event{ID: "after-stop", Type: JobCreated}) // must not wait for a stopped recorder

	if len(order) != burst || seen["after-stop"] {
		t.Fatalf("recorded %d events (after-stop seen: %v), want %d", len(order), seen["after-stop"], burst)
	}
	next := map[string]float64{}
	for _, e := range order {
		if e.Progress != next[e.JobID] {
			t.Fatalf("publisher %s: event %v recorded when %v was due", e.JobID, e.Progress, next[e.JobID])
		}
		next[e.JobID]++
	}
	if batches >= burst {
		t.Errorf("%d batches for %d events: concurrent publishers never shared a write", batches, burst)
	}
}

// Stopping a recorder while a batch is being written waits for that batch: the publisher
// waiting on it is released with its event recorded, not abandoned.
func TestStoppingARecorderFinishesTheBatchInFlight(t *testing.T) {
	t.Parallel()
	b := NewBus()
	entered, release := make(chan struct{}), make(chan struct{})
	var got []string
	stop := b.Record(func(batch []Event) {
		close(entered)
		<-release
		for _, e := range batch {
			got = append(got, e.ID)
		}
	})
	published := make(chan struct{})
	go func() {
		defer close(published)
		b.Publish(Event{ID: "in-flight", Type: JobCreated})
	}()
	<-entered
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		stop()
	}()
	close(release)
	<-published
	<-stopped
	if fmt.Sprint(got) != "[in-flight]" {
		t.Errorf("recorded %v, want [in-flight]", got)
	}
}
