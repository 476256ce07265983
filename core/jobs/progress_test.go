package jobs

import (
	"math"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// A cloud export: the platform's operations drive the job's percentage and ETA until the first
// byte, then the bytes do. The clock is the test's.
func TestTrackerTimesCloudOperationsUntilBytesFlow(t *testing.T) {
	t.Parallel()
	snap := func(pct float64) provider.Progress {
		return provider.Progress{Phase: provider.PhaseSnapshotting, OperationID: "snap-1", Operation: "creating snapshot", Percent: pct}
	}
	export := func(pct float64) provider.Progress {
		return provider.Progress{Phase: provider.PhaseExportingInCloud, OperationID: "export-7", Operation: "exporting image", Percent: pct}
	}
	bytes := func(done int64) provider.Progress {
		return provider.Progress{Phase: provider.PhaseDownloading, DiskName: "disk0", BytesDone: done, BytesTotal: 1000}
	}
	none := math.NaN() // no ETA
	steps := []struct {
		name   string
		at     float64 // seconds since the start
		ev     provider.Progress
		pct    float64
		eta    float64
		opID   string
		opPct  float64 // NaN: no operation shown
		rate   float64
		phase  string
		opName string
	}{
		{"snapshot begins", 0, snap(0), 0, none, "snap-1", 0, 0, provider.PhaseSnapshotting, "creating snapshot"},
		{"snapshot at 20% after 10 s", 10, snap(20), 20, 40, "snap-1", 20, 0, provider.PhaseSnapshotting, "creating snapshot"},
		{"the average rate, not the last step", 20, snap(50), 50, 20, "snap-1", 50, 0, provider.PhaseSnapshotting, "creating snapshot"},
		{"a percentage without names is the same operation", 25, provider.Progress{Phase: provider.PhaseSnapshotting, Percent: 75}, 75, 25.0 / 3, "snap-1", 75, 0, provider.PhaseSnapshotting, "creating snapshot"},
		{"a new operation starts its own clock", 30, export(10), 10, none, "export-7", 10, 0, provider.PhaseExportingInCloud, "exporting image"},
		{"the export task moves", 40, export(30), 30, 35, "export-7", 30, 0, provider.PhaseExportingInCloud, "exporting image"},
		{"disks announced, no byte yet: still the operation", 50, bytes(0), 30, 70, "export-7", 30, 0, provider.PhaseDownloading, "exporting image"},
		{"the first bytes take over", 51, bytes(100), 10, 9, "", none, 100, provider.PhaseDownloading, ""},
		{"bytes keep driving", 52, bytes(300), 30, 700 / 120.0, "", none, 120, provider.PhaseDownloading, ""},
	}
	tr := newTracker()
	start := time.Unix(1_700_000_000, 0)
	for _, s := range steps {
		p := tr.update(s.ev, start.Add(time.Duration(s.at*float64(time.Second))))
		if p.Percentage != s.pct || p.OperationID != s.opID || p.Operation != s.opName || p.Phase != s.phase || p.ThroughputBps != s.rate {
			t.Errorf("%s: percentage %v, operation %q %q, phase %s, rate %v; want %v, %q %q, %s, %v",
				s.name, p.Percentage, p.OperationID, p.Operation, p.Phase, p.ThroughputBps, s.pct, s.opID, s.opName, s.phase, s.rate)
		}
		if !sameFloat(p.OperationPercent, s.opPct) {
			t.Errorf("%s: operation_percent %v, want %v", s.name, deref(p.OperationPercent), s.opPct)
		}
		if !sameFloat(p.ETASeconds, s.eta) {
			t.Errorf("%s: eta %v, want %v", s.name, deref(p.ETASeconds), s.eta)
		}
	}
}

func TestTrackerOperationEdges(t *testing.T) {
	t.Parallel()
	op := func(id string, pct float64) provider.Progress {
		return provider.Progress{Phase: provider.PhaseExportingInCloud, OperationID: id, Operation: "work", Percent: pct}
	}
	cases := []struct {
		name  string
		evs   []provider.Progress // one second apart
		pct   float64
		opPct float64
		eta   float64
	}{
		{"a percentage above 100 is 100, with nothing left", []provider.Progress{op("a", 10), op("a", 140)}, 100, 100, math.NaN()},
		{"a negative percentage is 0", []provider.Progress{op("a", -5)}, 0, 0, math.NaN()},
		{"an operation that goes back restarts its clock", []provider.Progress{op("a", 0), op("a", 60), op("a", 20)}, 20, 20, math.NaN()},
		{"an operation that has not moved has no ETA", []provider.Progress{op("a", 5), op("a", 5), op("a", 5)}, 5, 5, math.NaN()},
		{"the same id after the download began keeps its clock", []provider.Progress{op("a", 0), {BytesDone: 0, BytesTotal: 10}, op("a", 50)}, 50, 50, 2},
		{"percentages keep one decimal, truncated", []provider.Progress{op("a", 0), op("a", 99.99)}, 99.9, 99.99, 0.01 / 99.99},
	}
	for _, c := range cases {
		tr := newTracker()
		var p Progress
		for i, ev := range c.evs {
			p = tr.update(ev, time.Unix(int64(i), 0))
		}
		if p.Percentage != c.pct || !sameFloat(p.OperationPercent, c.opPct) || !sameFloat(p.ETASeconds, c.eta) {
			t.Errorf("%s: percentage %v, operation_percent %v, eta %v; want %v, %v, %v",
				c.name, p.Percentage, deref(p.OperationPercent), deref(p.ETASeconds), c.pct, c.opPct, c.eta)
		}
	}
}

// A snapshot is a copy: a later event does not change what an earlier caller holds.
func TestTrackerSnapshotIsACopy(t *testing.T) {
	t.Parallel()
	tr := newTracker()
	first := tr.update(provider.Progress{OperationID: "a", Percent: 10}, time.Unix(0, 0))
	tr.update(provider.Progress{OperationID: "a", Percent: 90}, time.Unix(1, 0))
	if *first.OperationPercent != 10 {
		t.Errorf("an earlier snapshot's operation_percent changed to %v", *first.OperationPercent)
	}
}

// sameFloat compares an optional value with want, NaN meaning absent, to within rounding.
func sameFloat(got *float64, want float64) bool {
	if math.IsNaN(want) {
		return got == nil
	}
	return got != nil && math.Abs(*got-want) < 1e-9
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
