package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// BenchmarkTenThousandJobs submits 10,000 tiny export jobs to the test provider in batches of
// 100 and reports accepted jobs/s, p99 of /jobs/query and /jobs/progress while they run, the
// daemon's peak RSS, and events/s delivered to 100 WebSocket clients.
func BenchmarkTenThousandJobs(b *testing.B) {
	for i := 0; i < b.N; i++ {
		d := startDaemon(b, `
providers:
  testprovider:
    vm_count: 4
    disk_size_bytes: 65536
export:
  base_path: `+b.TempDir()+`
daemon:
  address: 127.0.0.1:0
  log_level: info
  log_format: json
  workers: 4
  plugins_dir: `+pluginsDir+`
`)
		ctx, cancel := context.WithCancel(context.Background())
		var delivered atomic.Int64
		var wg sync.WaitGroup
		for c := 0; c < 100; c++ {
			conn, _, err := websocket.Dial(ctx, strings.Replace(d.url, "http", "ws", 1)+"/websocket", nil)
			if err != nil {
				b.Fatal(err)
			}
			conn.SetReadLimit(1 << 20)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.CloseNow()
				for {
					if _, _, err := conn.Read(ctx); err != nil {
						return
					}
					delivered.Add(1)
				}
			}()
		}

		const total, batch = 10000, 100
		var ids []string
		start := time.Now()
		body := "[" + strings.Repeat(`{"vm_identifier":"vm-001","provider":"testprovider","export_method":"vmdk"},`, batch-1) +
			`{"vm_identifier":"vm-001","provider":"testprovider","export_method":"vmdk"}]`
		for n := 0; n < total; n += batch {
			resp, err := http.Post(d.url+"/jobs/submit", "application/json", strings.NewReader(body))
			if err != nil {
				b.Fatal(err)
			}
			var out struct {
				Jobs []struct {
					ID string `json:"job_id"`
				} `json:"jobs"`
			}
			json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			for _, j := range out.Jobs {
				ids = append(ids, j.ID)
			}
		}
		accepted := time.Since(start)

		var query, progress []time.Duration
		peakRSS := int64(0)
		for deadline := time.Now().Add(10 * time.Minute); time.Now().Before(deadline); {
			id := ids[len(query)%len(ids)]
			t0 := time.Now()
			_, j, _ := d.do("GET", "/jobs/query?job_id="+id, "")
			query = append(query, time.Since(t0))
			t1 := time.Now()
			d.do("GET", "/jobs/progress/"+id, "")
			progress = append(progress, time.Since(t1))
			peakRSS = max(peakRSS, rss(d.cmd.Process.Pid))
			_ = j
			_, last, _ := d.do("GET", "/jobs/query?job_id="+ids[len(ids)-1], "")
			if last["status"] == "completed" {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		ran := time.Since(start)
		cancel()
		wg.Wait()
		b.ReportMetric(float64(total)/accepted.Seconds(), "accepted-jobs/s")
		b.ReportMetric(float64(total)/ran.Seconds(), "completed-jobs/s")
		b.ReportMetric(p99(query).Seconds()*1000, "query-p99-ms")
		b.ReportMetric(p99(progress).Seconds()*1000, "progress-p99-ms")
		b.ReportMetric(float64(peakRSS)/(1<<20), "daemon-peak-RSS-MiB")
		b.ReportMetric(float64(delivered.Load())/ran.Seconds(), "ws-events/s")
	}
}

func p99(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)*99/100]
}

// rss reads a process's resident set size in bytes from /proc.
func rss(pid int) int64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}
