package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"
)

// The export benchmarks time the path a user takes — submit an OVF export of a VM through the REST API of a running hypervisord (the vSphere plugin as its own
// process) and poll until the job is completed — against `govc export.ovf` of the same VM
// from the same simulator followed by an fsync of its files, in the same run. x-govc-time is
// ours/govc (the goal is ≤ 0.67 on dense disks and ≤ 1.0 on sparse ones); <stage>-ms is how
// long each stage took in the job, from its log, and overhead-ms the rest of the job's time
// (start-ms: submit until the job started; finish-ms: the last stage's end until the client
// saw the job completed, 10 ms polling included).

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
		t0 := time.Now()
		_, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier":"`+benchVM+`","provider":"vsphere","export_method":"ovf"}`)
		id, _ := body["job_id"].(string)
		if id == "" {
			b.Fatalf("submit answered %v", body)
		}
		// Polled every 10 ms: the tests' 100 ms would add up to 0.1 s to a sub-second run.
		job := d.waitJobEvery(id, 10*time.Millisecond)
		took := time.Since(t0)
		if job["status"] != "completed" {
			b.Fatalf("job = %v", job)
		}
		var log struct {
			Lines []jobLogLine `json:"lines"`
		}
		if err := json.Unmarshal([]byte(d.text("/jobs/logs/"+id+"?format=json")), &log); err != nil {
			b.Fatalf("job log: %v", err)
		}
		tl, err := timelineOf(log.Lines, t0, t0.Add(took))
		if err != nil {
			b.Fatal(err)
		}
		if testing.Verbose() { // -v shows each job's log, to see where a stage's time went
			b.Logf("job %s took %v; its log:\n%s", id, took, d.text("/jobs/logs/"+id))
		}
		if dir, _ := job["export_dir"].(string); dir != "" {
			os.RemoveAll(dir)
		}
		return took, tl
	}
	theirs := func(b *testing.B) time.Duration {
		dir, err := os.MkdirTemp(b.TempDir(), "govc-")
		if err != nil {
			b.Fatal(err)
		}
		defer os.RemoveAll(dir)
		t0 := time.Now()
		sim.govcExport(b, govc, benchVM, dir)
		syncTree(dir)
		return time.Since(t0)
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

// jobLogLine is the part of a line of GET /jobs/logs/{id}?format=json the timeline reads.
type jobLogLine struct {
	Time    time.Time      `json:"time"`
	Message string         `json:"message"`
	Fields  map[string]any `json:"fields"`
}

// jobTimeline is where one job's time went, as its log tells: each stage runs from its
// "stage started" line to the next stage's, or to "export packaged" or "job completed",
// whichever comes first; the rest of the time between submit and completed is overhead.
type jobTimeline struct {
	stages   []stageTime
	start    time.Duration // submit until "job started"
	finish   time.Duration // the last stage's end until the client saw the job completed
	overhead time.Duration // total minus the stages: start, finish and the gaps between stages
}

type stageTime struct {
	name string
	took time.Duration
}

// timelineOf reads a completed job's log; submitted and seen are when the client sent the job
// and when it saw it completed.
func timelineOf(lines []jobLogLine, submitted, seen time.Time) (jobTimeline, error) {
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].Time.Before(lines[j].Time) })
	var tl jobTimeline
	var open *stageTime
	var openedAt, started, lastEnd time.Time
	closeStage := func(at time.Time) {
		if open != nil {
			open.took = at.Sub(openedAt)
			tl.stages = append(tl.stages, *open)
			lastEnd, open = at, nil
		}
	}
	for _, l := range lines {
		switch l.Message {
		case "job started":
			started = l.Time
		case "stage started":
			closeStage(l.Time)
			open, openedAt = &stageTime{name: fmt.Sprint(l.Fields["stage"])}, l.Time
		case "export packaged", "job completed":
			closeStage(l.Time)
		}
	}
	if started.IsZero() || len(tl.stages) == 0 || open != nil {
		return tl, fmt.Errorf("job log has no complete \"job started\" … \"stage started\" … \"job completed\" sequence (%d lines): the benchmark reads the daemon's log messages and must follow them", len(lines))
	}
	var staged time.Duration
	for _, s := range tl.stages {
		staged += s.took
	}
	tl.start, tl.finish = started.Sub(submitted), seen.Sub(lastEnd)
	tl.overhead = seen.Sub(submitted) - staged
	return tl, nil
}

// parts names each stage's time and the overhead's, as the benchmark reports them.
func (tl jobTimeline) parts() map[string]time.Duration {
	p := map[string]time.Duration{"overhead": tl.overhead, "start": tl.start, "finish": tl.finish}
	for _, s := range tl.stages {
		p[s.name] += s.took
	}
	return p
}
