package events

import (
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
