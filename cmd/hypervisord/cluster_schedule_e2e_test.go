package main

import (
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/store/etcdstore/etcdtest"
)

// The log line of the node elected to fire the cluster's schedules (core/scheduler/cluster.go).
const firesSchedules = "this node fires the cluster's schedules and policies"

// electedNode waits until one of nodes logs line (it won an election) and returns it.
func electedNode(t *testing.T, line string, nodes ...*daemon) *daemon {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, d := range nodes {
			if strings.Contains(d.logs(), line) {
				return d
			}
		}
	}
	t.Fatalf("no node logged %q within 30s", line)
	return nil
}

// scheduleRuns lists the jobs a schedule submitted, as d sees them.
func scheduleRuns(t *testing.T, d *daemon, scheduleID string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, j := range listJobs(t, d) {
		if j["schedule_id"] == scheduleID {
			out = append(out, j)
		}
	}
	return out
}

// A schedule falls due while the node elected to fire it is killed -9: before the slot, right
// at it, and just after it submitted the slot's run (before or after it recorded the slot).
// Once the dead node's lease expires another node is elected; the slot has exactly one run,
// which completes.
func TestClusterScheduleDueWhileItsFiringNodeIsKilledFiresOnce(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		kill func(t *testing.T, firer, survivor *daemon, scheduleID string, slot time.Time)
	}{
		{"killed before the slot", func(t *testing.T, _, _ *daemon, _ string, slot time.Time) {
			time.Sleep(time.Until(slot.Add(-time.Second)))
		}},
		{"killed as the slot falls due", func(t *testing.T, _, _ *daemon, _ string, slot time.Time) {
			time.Sleep(time.Until(slot))
		}},
		{"killed once the slot's run is submitted", func(t *testing.T, _, survivor *daemon, scheduleID string, slot time.Time) {
			time.Sleep(time.Until(slot.Add(-200 * time.Millisecond)))
			for deadline := slot.Add(5 * time.Second); len(scheduleRuns(t, survivor, scheduleID)) == 0; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the firing node submitted no run within 5s of the slot %s", slot)
				}
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			endpoints := etcdtest.Endpoints(etcdtest.StartCluster(t, 3))
			shared := t.TempDir()
			var nodes []*daemon
			for _, id := range []string{"node-a", "node-b", "node-c"} {
				cfg := strings.Replace(clusterNodeConfig(endpoints, id, shared), "chunk_delay: 60ms", "chunk_delay: 5ms", 1)
				nodes = append(nodes, startDaemon(t, cfg))
			}
			firer := electedNode(t, firesSchedules, nodes...)
			var survivors []*daemon
			for _, d := range nodes {
				if d != firer {
					survivors = append(survivors, d)
				}
			}
			// @every 15s: the slot after the one under test is at least 15 s after it fires,
			// well after the checks below.
			code, sc, _ := survivors[0].do("POST", "/schedules/create", `{"name": "cluster-once", "cron": "@every 15s",
				"job_definition": {"vm_identifier": "vm-001", "provider": "testprovider", "export_method": "raw"}}`)
			if code != 201 {
				t.Fatalf("create schedule = %d %v", code, sc)
			}
			id := sc["id"].(string)
			slot, err := time.Parse(time.RFC3339Nano, sc["next_run"].(string))
			if err != nil {
				t.Fatalf("next_run %v: %v", sc["next_run"], err)
			}
			c.kill(t, firer, survivors[0], id, slot)
			firer.cmd.Process.Kill()
			<-firer.exited
			killedAt := time.Now()

			// The slot is fired (or found fired) once the dead node's lease (3 s) has expired
			// and another node is elected, within its next look at the schedules (2 s).
			var got map[string]any
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				_, got, _ = survivors[1].do("GET", "/schedules/"+id, "")
				if next, err := time.Parse(time.RFC3339Nano, got["next_run"].(string)); err == nil && next.After(slot) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("slot %s not fired 30s after the firing node's kill: %v", slot, got)
				}
			}
			refired := false
			for _, d := range survivors {
				refired = refired || strings.Contains(d.logs(), "schedule slot fired again after a node died")
			}
			t.Logf("slot %s recorded %s after the kill; fired again by the next node: %v", slot.Format(time.StampMilli), time.Since(killedAt).Round(time.Millisecond), refired)
			time.Sleep(2 * time.Second) // a second run, if one were fired, has time to appear
			runs := scheduleRuns(t, survivors[1], id)
			if len(runs) != 1 {
				t.Fatalf("slot %s has %d runs, want exactly 1: %v", slot, len(runs), runs)
			}
			if got["last_job_id"] != runs[0]["job_id"] || got["last_error"] != nil {
				t.Errorf("schedule after the slot: %v; want last_job_id %v and no error", got, runs[0]["job_id"])
			}
			if j := survivors[0].waitJob(runs[0]["job_id"].(string)); j["status"] != "completed" {
				t.Errorf("the slot's run = %s (%v)", j["status"], j["error"])
			}
		})
	}
}
