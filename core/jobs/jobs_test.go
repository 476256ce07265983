package jobs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/pipeline"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

func TestTrackerSumsDisksAndSmoothsTheRate(t *testing.T) {
	t.Parallel()
	tr := newTracker()
	start := time.Unix(0, 0)
	tr.update(provider.Progress{Phase: provider.PhaseDownloading, Disk: 0, DiskName: "a", BytesDone: 0, BytesTotal: 1000}, start)
	tr.update(provider.Progress{Phase: provider.PhaseDownloading, Disk: 1, DiskName: "b", BytesDone: 0, BytesTotal: 1000}, start)
	p := tr.update(provider.Progress{Phase: provider.PhaseDownloading, Disk: 0, DiskName: "a", BytesDone: 500, BytesTotal: 1000}, start.Add(time.Second))
	if p.BytesTotal != 2000 || p.BytesDone != 500 || p.Percentage != 25 || len(p.Disks) != 2 || p.CurrentDisk != "a" {
		t.Fatalf("progress = %+v", p)
	}
	if p.ThroughputBps != 500 || p.ETASeconds == nil || *p.ETASeconds != 3 {
		t.Fatalf("rate %v eta %v, want 500 B/s and 3 s", p.ThroughputBps, p.ETASeconds)
	}
	p = tr.update(provider.Progress{Phase: provider.PhaseDownloading, Disk: 1, DiskName: "b", BytesDone: 1500, BytesTotal: 1000}, start.Add(2*time.Second))
	if p.ThroughputBps != 0.2*1500+0.8*500 {
		t.Errorf("smoothed rate = %v", p.ThroughputBps)
	}
	if p.Disks[1].BytesTotal != 1500 {
		t.Errorf("a disk larger than announced must grow its total: %+v", p.Disks[1])
	}
}

func TestConfinePath(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	outside := t.TempDir()
	os.Symlink(outside, filepath.Join(base, "link"))
	os.Mkdir(filepath.Join(base, "real"), 0o755)
	cases := []struct {
		in, want, err string
	}{
		{in: "vm-1", want: filepath.Join(base, "vm-1")},
		{in: filepath.Join(base, "real", "x"), want: filepath.Join(base, "real", "x")},
		{in: "a/../b", want: filepath.Join(base, "b")},
		{in: "../escape", err: "not inside"},
		{in: "/etc", err: "not inside"},
		{in: base, err: "not inside"},
		{in: "link/x", err: "not inside"},
	}
	realBase, _ := filepath.EvalSymlinks(base)
	for _, c := range cases {
		got, err := pipeline.ConfinePath(base, c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("pipeline.ConfinePath(%q) = %q, %v; want error %q", c.in, got, err, c.err)
			}
			continue
		}
		want := strings.Replace(c.want, base, realBase, 1)
		if err != nil || got != want {
			t.Errorf("pipeline.ConfinePath(%q) = %q, %v; want %q", c.in, got, err, want)
		}
	}
}

// A job resumed past its export has a fresh tracker: its end must not wipe the progress it
// had reached.
func TestKeepLatestProgress(t *testing.T) {
	t.Parallel()
	stored := Progress{Percentage: 100, Phase: provider.PhaseDownloading, BytesDone: 10, BytesTotal: 10}
	fresh := newTracker()
	got := stored
	if keepLatest(&got, fresh); got.Percentage != 100 || got.BytesDone != 10 {
		t.Errorf("a tracker with no samples replaced the stored progress: %+v", got)
	}
	fresh.update(provider.Progress{Phase: StageConverting, Disk: 1000, BytesDone: 5, BytesTotal: 10}, time.Unix(1, 0))
	got = stored
	if keepLatest(&got, fresh); got.Phase != StageConverting || got.BytesDone != 5 {
		t.Errorf("the tracker's newer progress was not kept: %+v", got)
	}
}
