package pipeline

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A single daemon's budgets: a source's slots run out, a released one is taken again, a
// source without a budget is never waited for.
func TestLocalBudgets(t *testing.T) {
	t.Parallel()
	b := NewLocalBudgets(map[string]int{"vcenter-1": 2})
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		t.Cleanup(cancel)
		return ctx
	}
	first, err := b.Acquire(short(), "vcenter-1", "job-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Acquire(short(), "vcenter-1", "job-2"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		source  string
		release func()
		wantErr error
	}{
		{"budget spent", "vcenter-1", nil, context.DeadlineExceeded},
		{"a slot released", "vcenter-1", first, nil},
		{"no budget", "aws-eu", nil, nil},
	}
	for _, c := range cases {
		if c.release != nil {
			c.release()
		}
		_, err := b.Acquire(short(), c.source, "job-x")
		if !errors.Is(err, c.wantErr) {
			t.Errorf("%s: Acquire = %v, want %v", c.name, err, c.wantErr)
		}
	}
}
