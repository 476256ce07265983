package main

import (
	"strings"
	"testing"
	"time"
)

func TestTimelineOfSplitsAJobIntoStagesAndOverhead(t *testing.T) {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	line := func(ms int, msg string, fields ...string) jobLogLine {
		l := jobLogLine{Time: at(ms), Message: msg, Fields: map[string]any{}}
		for i := 0; i+1 < len(fields); i += 2 {
			l.Fields[fields[i]] = fields[i+1]
		}
		return l
	}
	cases := []struct {
		name    string
		lines   []jobLogLine
		seen    int
		want    map[string]time.Duration
		wantErr string
	}{{
		name: "export then packaging, ended by export packaged",
		lines: []jobLogLine{
			line(1, "job accepted"), line(5, "job started"),
			line(6, "stage started", "stage", "exporting"), line(50, "downloading disk", "disk", "0"),
			line(306, "stage started", "stage", "packaging"), line(400, "export packaged"),
			line(410, "job completed"),
		},
		seen: 420,
		want: map[string]time.Duration{"exporting": 300 * time.Millisecond, "packaging": 94 * time.Millisecond,
			"start": 5 * time.Millisecond, "finish": 20 * time.Millisecond, "overhead": 26 * time.Millisecond},
	}, {
		name: "a stage ended by job completed, lines out of order",
		lines: []jobLogLine{
			line(30, "job completed"), line(2, "job started"), line(10, "stage started", "stage", "converting"),
		},
		seen: 31,
		want: map[string]time.Duration{"converting": 20 * time.Millisecond,
			"start": 2 * time.Millisecond, "finish": time.Millisecond, "overhead": 11 * time.Millisecond},
	}, {
		name:    "no stage lines: the daemon's messages changed",
		lines:   []jobLogLine{line(2, "job started"), line(9, "job completed")},
		seen:    10,
		wantErr: "must follow them",
	}, {
		name:    "a stage never ended",
		lines:   []jobLogLine{line(2, "job started"), line(3, "stage started", "stage", "exporting")},
		seen:    10,
		wantErr: "must follow them",
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tl, err := timelineOf(c.lines, t0, at(c.seen))
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
