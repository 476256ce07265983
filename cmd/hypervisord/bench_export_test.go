package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The export benchmarks time the path a user takes — submit an OVF export of a VM through the REST API of a running hypervisord (the vSphere plugin as its own
// process) and poll until the job is completed — against `govc export.ovf` of the same VM
// from the same simulator followed by an fsync of its files, in the same run. x-govc-time is
// ours/govc (the goal is ≤ 0.67 on dense disks and ≤ 1.0 on sparse ones); <stage>-ms is how
// long each step of its plan took (export, verify, package: the job's own steps, from GET
// /jobs/query), and overhead-ms the rest of the job's time (start-ms: submit until the first
// step started; finish-ms: the last step's end until the client, following the event stream as
// `hyperctl jobs watch` does, heard the job completed).

// BenchmarkExportVsGovcDense exports two 1 GiB disks each holding 768 MiB of random data.
func BenchmarkExportVsGovcDense(b *testing.B) {
	benchExportVsGovc(b, "-disk-mb", "1024", "-disks", "2", "-data-kib-per-mib", "768")
}

// BenchmarkExportVsGovcSparse exports two 1 GiB disks with the simulator's default content:
// 64 KiB of random data per MiB (64 MiB each), zeros between.
func BenchmarkExportVsGovcSparse(b *testing.B) {
	benchExportVsGovc(b, "-disk-mb", "1024", "-disks", "2")
}

// BenchmarkExportVsGovcSmall exports the simulator's default VM: one sparse 64 MiB disk, where
// the time is mostly the per-job cost of each tool, not the copying.
func BenchmarkExportVsGovcSmall(b *testing.B) { benchExportVsGovc(b) }

const benchVM = "DC0_C0_RP0_VM0"

func benchExportVsGovc(b *testing.B, simArgs ...string) {
	needQemuImg(b)
	vcsimBin, govc := benchTools(b)
	// Made once, here: the timed rounds run in the sub-benchmark, which Go calls more than once.
	sim := startVcsim(b, vcsimBin, append([]string{"-vms", "1"}, simArgs...)...)
	d := startDaemon(b, sim.vsphereConfig(b.TempDir()))
	ours := func(b *testing.B) (time.Duration, jobTimeline) {
		// The job is followed on the event stream, as `hyperctl jobs watch` follows it: the
		// client hears of the end when the daemon announces it, not at its next poll.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, strings.Replace(d.url, "http", "ws", 1)+"/websocket", nil)
		if err != nil {
			b.Fatal(err)
		}
		defer ws.CloseNow()
		t0 := time.Now()
		_, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier":"`+benchVM+`","provider":"vsphere","export_method":"ovf"}`)
		id, _ := body["job_id"].(string)
		if id == "" {
			b.Fatalf("submit answered %v", body)
		}
		for ended := false; !ended; {
			_, msg, err := ws.Read(ctx)
			if err != nil {
				b.Fatalf("events of job %s: %v", id, err)
			}
			var ev struct {
				Type  string `json:"event"` // events.Event's name for its type
				JobID string `json:"job_id"`
			}
			ended = json.Unmarshal(msg, &ev) == nil && ev.JobID == id && (ev.Type == "job.completed" || ev.Type == "job.failed" || ev.Type == "job.cancelled")
		}
		took := time.Since(t0)
		_, job, _ := d.do("GET", "/jobs/query?job_id="+id, "")
		if job["status"] != "completed" {
			b.Fatalf("job = %v", job)
		}
		var steps []jobStep
		raw, _ := json.Marshal(job["steps"])
		if err := json.Unmarshal(raw, &steps); err != nil {
			b.Fatalf("job steps: %v", err)
		}
		tl, err := timelineOf(steps, t0, t0.Add(took))
		if err != nil {
			b.Fatal(err)
		}
		if testing.Verbose() { // -v shows each job's log, to see where a stage's time went
			b.Logf("job %s took %v; its log:\n%s", id, took, d.text("/jobs/logs/"+id))
		}
		if dir, _ := job["export_dir"].(string); dir != "" {
			os.RemoveAll(dir)
		}
		// Untimed, after each round of either tool: the next round does not pay for flushing
		// this one's deletes (ext4 commits them with the next fsync, whoever makes it).
		syscall.Sync()
		return took, tl
	}
	theirs := func(b *testing.B) time.Duration {
		dir, err := os.MkdirTemp(b.TempDir(), "govc-")
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		sim.govcExport(b, govc, benchVM, dir)
		syncTree(dir)
		took := time.Since(t0)
		os.RemoveAll(dir)
		syscall.Sync()
		return took
	}
	// One untimed round each: the daemon's first job starts the plugin and logs in to vCenter,
	// which a running daemon has long done; govc gets the same warm page cache.
	ours(b)
	theirs(b)
	b.Run("api-vs-govc", func(b *testing.B) {
		var oursTotal, theirsTotal time.Duration
		parts := map[string]time.Duration{}
		for i := 0; i < b.N; i++ {
			took, tl := ours(b)
			oursTotal += took
			for name, d := range tl.parts() {
				parts[name] += d
			}
			theirsTotal += theirs(b)
		}
		b.ReportMetric(oursTotal.Seconds()/theirsTotal.Seconds(), "x-govc-time")
		b.ReportMetric(oursTotal.Seconds()/float64(b.N), "hypersdk-s/op")
		b.ReportMetric(theirsTotal.Seconds()/float64(b.N), "govc-s/op")
		for name, d := range parts {
			b.ReportMetric(float64(d.Milliseconds())/float64(b.N), name+"-ms")
		}
	})
	sim.stop()
}

// jobStep is a step of a job's plan as GET /jobs/query shows it.
type jobStep struct {
	Name       string    `json:"name"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
}

// jobTimeline is where one job's time went, as its steps tell; the rest of the time between
// submit and completed is overhead.
type jobTimeline struct {
	steps    map[string]time.Duration
	start    time.Duration // submit until the first step started
	finish   time.Duration // the last step's end until the client saw the job completed
	overhead time.Duration // total minus the steps: start, finish and the gaps between steps
}

// timelineOf reads a completed job's steps; submitted and seen are when the client sent the
// job and when it saw it completed (the daemon runs on the same clock).
func timelineOf(steps []jobStep, submitted, seen time.Time) (jobTimeline, error) {
	tl := jobTimeline{steps: map[string]time.Duration{}}
	var first, last time.Time
	var stepped time.Duration
	for _, s := range steps {
		if s.StartedAt.IsZero() || s.FinishedAt.Before(s.StartedAt) {
			return tl, fmt.Errorf("step %q has no start or ends before it starts: %+v", s.Name, s)
		}
		if first.IsZero() || s.StartedAt.Before(first) {
			first = s.StartedAt
		}
		if s.FinishedAt.After(last) {
			last = s.FinishedAt
		}
		tl.steps[s.Name] += s.FinishedAt.Sub(s.StartedAt)
		stepped += s.FinishedAt.Sub(s.StartedAt)
	}
	if len(steps) == 0 {
		return tl, fmt.Errorf("the job shows no steps")
	}
	tl.start, tl.finish = first.Sub(submitted), seen.Sub(last)
	tl.overhead = seen.Sub(submitted) - stepped
	return tl, nil
}

// parts names each step's time and the overhead's, as the benchmark reports them.
func (tl jobTimeline) parts() map[string]time.Duration {
	p := map[string]time.Duration{"overhead": tl.overhead, "start": tl.start, "finish": tl.finish}
	for name, d := range tl.steps {
		p[name] += d
	}
	return p
}
