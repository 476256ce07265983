package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/store/etcdstore/etcdtest"
)

// benchClusterJobs, benchDiskBytes: the load of BenchmarkClusterNodesVsOne — exports from a
// latency-bound source (the test provider waits chunk_delay per chunk, as a remote platform's
// round trips do), so a node's throughput is bound by its workers, not its CPU.
const (
	benchClusterJobs = 24
	benchDiskBytes   = 4 << 20
)

// BenchmarkClusterNodesVsOne runs the same jobs on 1, 2 and 3 nodes of one etcd cluster and
// prints jobs/s and export MB/s of each, as the ratio to one node.
func BenchmarkClusterNodesVsOne(b *testing.B) {
	for i := 0; i < b.N; i++ {
		var one float64
		for _, nodes := range []int{1, 2, 3} {
			took := clusterLoad(b, nodes)
			jobsPerSec := float64(benchClusterJobs) / took.Seconds()
			if nodes == 1 {
				one = jobsPerSec
			}
			b.Logf("%d node(s): %d jobs in %s — %.2f jobs/s, %.1f MB/s, %.2fx one node", nodes, benchClusterJobs, took.Round(time.Millisecond),
				jobsPerSec, jobsPerSec*benchDiskBytes/1e6, jobsPerSec/one)
			b.ReportMetric(jobsPerSec/one, fmt.Sprintf("x_%d_nodes", nodes))
		}
	}
}

// clusterLoad starts nodes daemons on a fresh etcd, submits the jobs to the first and returns
// how long until all completed.
func clusterLoad(b *testing.B, nodes int) time.Duration {
	endpoints := []string{etcdtest.Start(b)}
	shared := b.TempDir()
	var first *daemon
	for n := range nodes {
		d := startDaemon(b, benchNodeConfig(clusterNodeConfig(endpoints, fmt.Sprintf("node-%d", n+1), shared)))
		if first == nil {
			first = d
		}
	}
	start := time.Now()
	submitBatch(b, first, benchClusterJobs)
	for id, j := range allEnded(b, first, benchClusterJobs) {
		if j["status"] != "completed" {
			b.Fatalf("job %s = %s (%v)", id, j["status"], j["error"])
		}
	}
	return time.Since(start)
}

// benchNodeConfig is a cluster node's configuration with the benchmark's disk size and delay.
func benchNodeConfig(cfg string) string {
	cfg = strings.Replace(cfg, "disk_size_bytes: 8388608", fmt.Sprintf("disk_size_bytes: %d", benchDiskBytes), 1)
	return strings.Replace(cfg, "chunk_delay: 60ms", "chunk_delay: 20ms", 1)
}
