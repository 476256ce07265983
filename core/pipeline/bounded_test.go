package pipeline

import (
	"context"
	"errors"
	"testing"
	"time"
)

// bounded names the bound a phase ran into, and leaves other errors as they are.
func TestBounded(t *testing.T) {
	t.Parallel()
	errBound := errors.New("phase exceeded some.timeout")
	other := errors.New("disk full")
	cases := []struct {
		name      string
		d         time.Duration
		phase     func(context.Context) error
		wantBound bool
		wantErr   error
	}{
		{name: "no bound", phase: func(ctx context.Context) error {
			if _, ok := ctx.Deadline(); ok {
				return errors.New("a deadline was set")
			}
			return nil
		}},
		{name: "within the bound", d: time.Hour, phase: func(context.Context) error { return nil }},
		{name: "other error", d: time.Hour, phase: func(context.Context) error { return other }, wantErr: other},
		{name: "past the bound", d: time.Millisecond, wantBound: true, phase: func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		}},
	}
	for _, c := range cases {
		err := bounded(context.Background(), c.d, errBound, c.phase)
		if got := errors.Is(err, errBound); got != c.wantBound {
			t.Errorf("%s: bounded = %v, want the bound named: %v", c.name, err, c.wantBound)
		}
		if !c.wantBound && !errors.Is(err, c.wantErr) {
			t.Errorf("%s: bounded = %v, want %v", c.name, err, c.wantErr)
		}
	}
}
