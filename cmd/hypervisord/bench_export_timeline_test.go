package main

import (
	"strings"
	"testing"
	"time"
)

func TestTimelineOfSplitsAJobIntoStepsAndOverhead(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	cases := []struct {
		name    string
		steps   []jobStep
		seen    int
		want    map[string]time.Duration
		wantErr string
	}{{
		name:  "export, verify, package",
		steps: []jobStep{{"export", at(5), at(305)}, {"verify", at(306), at(380)}, {"package", at(381), at(400)}},
		seen:  420,
		want: map[string]time.Duration{"export": 300 * time.Millisecond, "verify": 74 * time.Millisecond, "package": 19 * time.Millisecond,
			"start": 5 * time.Millisecond, "finish": 20 * time.Millisecond, "overhead": 27 * time.Millisecond},
	}, {
		name:    "no steps",
		seen:    10,
		wantErr: "no steps",
	}, {
		name:    "a step that never started",
		steps:   []jobStep{{Name: "export", FinishedAt: at(3)}},
		seen:    10,
		wantErr: "no start",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tl, err := timelineOf(c.steps, t0, at(c.seen))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := tl.parts()
			if len(got) != len(c.want) {
				t.Errorf("parts = %v, want %v", got, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
				}
			}
		})
	}
}
