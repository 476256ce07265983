package jobs

import (
	"cmp"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Progress is a job's live progress: the sum over its disks, the disk being written, a smoothed
// throughput and the ETA derived from it. Before the first byte, work the platform does on its
// own (a snapshot, a cloud export task) is shown as the operation, and its percentage and ETA
// are the job's; once bytes flow, the bytes are.
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
	// The platform's operation in progress: its id, what it is, and the percentage the
	// platform reports for it (0–100).
	OperationID      string    `json:"operation_id,omitempty"`
	Operation        string    `json:"operation,omitempty"`
	OperationPercent *float64  `json:"operation_percent,omitempty"`
	UpdatedAt        time.Time `json:"updated_at"`
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
	op       operationClock
}

func newTracker() *tracker { return &tracker{disks: map[int]*DiskProgress{}} }

func (t *tracker) update(ev provider.Progress, now time.Time) Progress {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.p.Phase, t.p.Message = ev.Phase, ev.Message
	switch {
	case ev.OperationID != "" || ev.Operation != "" || ev.Percent > 0:
		t.operation(ev, now)
	case ev.BytesDone > 0:
		// The download has begun: the platform's part is over. The operation's clock is kept,
		// in case it reports again.
		t.p.OperationID, t.p.Operation, t.p.OperationPercent = "", "", nil
	}
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
	if done == 0 {
		t.lastAt = now // the byte rate is measured from the first byte, not from the operation's start
	}
	t.p.BytesDone, t.p.BytesTotal, t.p.ThroughputBps = done, total, t.rate
	t.p.ETASeconds = nil
	switch {
	case done == 0 && t.p.OperationPercent != nil:
		t.p.Percentage = tenths(*t.p.OperationPercent)
		t.p.ETASeconds = t.op.eta(now)
	case total > 0:
		t.p.Percentage = float64(int(float64(done)/float64(total)*1000)) / 10
		if t.rate > 0 && total > done {
			eta := float64(total-done) / t.rate
			t.p.ETASeconds = &eta
		}
	}
	t.p.UpdatedAt = now
	return t.snapshot()
}

// operation shows the platform's operation an event reports and times it.
func (t *tracker) operation(ev provider.Progress, now time.Time) {
	pct := min(max(ev.Percent, 0), 100)
	key := cmp.Or(ev.OperationID, ev.Operation, t.op.key)
	if key != t.op.key || pct < t.op.percent || t.op.since.IsZero() {
		t.op = operationClock{key: key, since: now, from: pct}
		t.p.OperationID, t.p.Operation = "", ""
	}
	t.op.percent = pct
	t.p.OperationID = cmp.Or(ev.OperationID, t.p.OperationID)
	t.p.Operation = cmp.Or(ev.Operation, t.p.Operation)
	t.p.OperationPercent = &pct
}

// operationClock times one operation of the platform: the percentage it had when first seen
// and when, so its ETA comes from its average rate. Platforms report coarse steps (a snapshot
// at 10, 20, 30 %), which a per-event rate would turn into an ETA jumping between zero and
// forever.
type operationClock struct {
	key     string // the operation's id, or its description when it has none
	since   time.Time
	from    float64
	percent float64
}

// eta is the seconds left at the operation's average rate so far, or nil while it has not moved.
func (c operationClock) eta(now time.Time) *float64 {
	elapsed, gained := now.Sub(c.since).Seconds(), c.percent-c.from
	if elapsed <= 0 || gained <= 0 || c.percent >= 100 {
		return nil
	}
	eta := (100 - c.percent) / (gained / elapsed)
	return &eta
}

// tenths truncates a percentage to one decimal: 99.99 is not yet 100.
func tenths(pct float64) float64 { return float64(int(pct*10)) / 10 }

func (t *tracker) snapshot() Progress {
	p := t.p
	p.Disks = append([]DiskProgress(nil), t.p.Disks...)
	if p.OperationPercent != nil {
		pct := *p.OperationPercent
		p.OperationPercent = &pct
	}
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
