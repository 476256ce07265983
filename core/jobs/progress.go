package jobs

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Progress is a job's live progress: the sum over its disks, the disk being written, a smoothed
// throughput and the ETA derived from it.
type Progress struct {
	Percentage    float64        `json:"percentage"`
	Phase         string         `json:"phase,omitempty"`
	Message       string         `json:"message,omitempty"`
	BytesDone     int64          `json:"bytes_done"`
	BytesTotal    int64          `json:"bytes_total"`
	CurrentDisk   string         `json:"current_disk,omitempty"`
	ThroughputBps float64        `json:"throughput_bps"`
	ETASeconds    *float64       `json:"eta_seconds,omitempty"`
	Disks         []DiskProgress `json:"disks,omitempty"`
	UpdatedAt     time.Time      `json:"updated_at"`
}

// DiskProgress is one disk's share.
type DiskProgress struct {
	Name       string `json:"name"`
	BytesDone  int64  `json:"bytes_done"`
	BytesTotal int64  `json:"bytes_total"`
}

// smoothing is the weight of the newest throughput sample; about the last ten samples count.
const smoothing = 0.2

// tracker turns a provider's per-disk events into a job's Progress, with an exponentially
// smoothed rate so the ETA does not jump with every chunk.
type tracker struct {
	mu       sync.Mutex
	p        Progress
	disks    map[int]*DiskProgress
	lastAt   time.Time
	lastDone int64
	rate     float64
}

func newTracker() *tracker { return &tracker{disks: map[int]*DiskProgress{}} }

func (t *tracker) update(ev provider.Progress, now time.Time) Progress {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p.Phase, t.p.Message = ev.Phase, ev.Message
	if ev.BytesTotal > 0 || ev.BytesDone > 0 {
		d, ok := t.disks[ev.Disk]
		if !ok {
			d = &DiskProgress{}
			t.disks[ev.Disk] = d
		}
		d.Name, d.BytesDone, d.BytesTotal = ev.DiskName, ev.BytesDone, max(ev.BytesTotal, ev.BytesDone)
		t.p.CurrentDisk = ev.DiskName
	}
	var done, total int64
	t.p.Disks = t.p.Disks[:0]
	for _, i := range slices.Sorted(maps.Keys(t.disks)) {
		d := t.disks[i]
		t.p.Disks = append(t.p.Disks, *d)
		done, total = done+d.BytesDone, total+d.BytesTotal
	}
	if !t.lastAt.IsZero() {
		if dt := now.Sub(t.lastAt).Seconds(); dt >= 0.05 && done >= t.lastDone {
			sample := float64(done-t.lastDone) / dt
			if t.rate == 0 {
				t.rate = sample
			} else {
				t.rate = smoothing*sample + (1-smoothing)*t.rate
			}
			t.lastAt, t.lastDone = now, done
		}
	} else {
		t.lastAt, t.lastDone = now, done
	}
	t.p.BytesDone, t.p.BytesTotal, t.p.ThroughputBps = done, total, t.rate
	if total > 0 {
		t.p.Percentage = float64(int(float64(done)/float64(total)*1000)) / 10
	}
	t.p.ETASeconds = nil
	if t.rate > 0 && total > done {
		eta := float64(total-done) / t.rate
		t.p.ETASeconds = &eta
	}
	t.p.UpdatedAt = now
	return t.snapshot()
}

func (t *tracker) snapshot() Progress {
	p := t.p
	p.Disks = append([]DiskProgress(nil), t.p.Disks...)
	return p
}

func (t *tracker) current() Progress {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.snapshot()
}

// keepLatest replaces a job's stored progress with the tracker's when the tracker has seen any
// (a job resumed after a restart, past its export, has a fresh tracker that knows nothing).
func keepLatest(stored *Progress, t *tracker) {
	if p := t.current(); !p.UpdatedAt.IsZero() {
		*stored = p
	}
}
