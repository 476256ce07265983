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

// slotRuns lists the runs of a schedule's slot: those created before the next slot's time
// (its next_run once the slot fired).
func slotRuns(t *testing.T, d *daemon, scheduleID string, nextSlot time.Time) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, j := range scheduleRuns(t, d, scheduleID) {
		if created, err := time.Parse(time.RFC3339Nano, j["created_at"].(string)); err != nil || created.Before(nextSlot) {
			out = append(out, j)
		}
	}
	return out
}

// A schedule falls due while the node elected to fire it is killed -9 (before the slot, right
// at it, just after the slot's run appeared) or cut off from etcd until another node fired the
// slot. Once the node's lease expires another node is elected; the slot has exactly one run,
// which completes, also after the cut-off node is back.
func TestClusterScheduleDueWhileItsFiringNodeIsKilledFiresOnce(t *testing.T) {
	t.Parallel()
	kill := func(firer *daemon) { firer.cmd.Process.Kill(); <-firer.exited }
	for _, c := range []struct {
		name string
		// lose takes the firer out around the slot; it returns a func to call once the
		// slot has fired elsewhere.
		lose func(t *testing.T, firer *daemon, proxy *etcdtest.Proxy, survivor *daemon, scheduleID string, slot time.Time) func()
	}{
		{"killed before the slot", func(t *testing.T, firer *daemon, _ *etcdtest.Proxy, _ *daemon, _ string, slot time.Time) func() {
			time.Sleep(time.Until(slot.Add(-time.Second)))
			kill(firer)
			return func() {}
		}},
		{"killed as the slot falls due", func(t *testing.T, firer *daemon, _ *etcdtest.Proxy, _ *daemon, _ string, slot time.Time) func() {
			time.Sleep(time.Until(slot))
			kill(firer)
			return func() {}
		}},
		{"killed once the slot's run appears", func(t *testing.T, firer *daemon, _ *etcdtest.Proxy, survivor *daemon, scheduleID string, slot time.Time) func() {
			time.Sleep(time.Until(slot.Add(-200 * time.Millisecond)))
			for deadline := slot.Add(5 * time.Second); len(scheduleRuns(t, survivor, scheduleID)) == 0; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("the firing node submitted no run within 5s of the slot %s", slot)
				}
			}
			kill(firer)
			return func() {}
		}},
		{"cut off from etcd as the slot falls due", func(t *testing.T, _ *daemon, proxy *etcdtest.Proxy, survivor *daemon, _ string, slot time.Time) func() {
			time.Sleep(time.Until(slot.Add(-50 * time.Millisecond)))
			proxy.Block()
			return func() {
				proxy.Unblock()
				for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
					if _, nodes, _ := survivor.do("GET", "/cluster/nodes", ""); len(nodes["nodes"].([]any)) == 3 {
						return
					}
					if time.Now().After(deadline) {
						t.Fatalf("the cut-off node did not join again within 20s of its link back")
					}
				}
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			members := etcdtest.StartCluster(t, 3)
			endpoints := etcdtest.Endpoints(members)
			shared := t.TempDir()
			config := func(endpoints []string, id string) string {
				return strings.Replace(clusterNodeConfig(endpoints, id, shared), "chunk_delay: 60ms", "chunk_delay: 5ms", 1)
			}
			// node-a, started first and alone, is elected; it reaches etcd through a proxy.
			proxy := etcdtest.StartProxy(t, members[0].ClientURL)
			firer := startDaemon(t, config([]string{proxy.URL}, "node-a"))
			electedNode(t, firesSchedules, firer)
			survivors := []*daemon{startDaemon(t, config(endpoints, "node-b")), startDaemon(t, config(endpoints, "node-c"))}
			// @every 1m (the shortest interval a schedule takes): the slot after the one under test is a
			// minute after it fires.
			code, sc, _ := survivors[0].do("POST", "/schedules/create", `{"name": "cluster-once", "cron": "@every 1m",
				"job_definition": {"vm_identifier": "vm-001", "provider": "testprovider", "export_method": "raw"}}`)
			if code != 201 {
				t.Fatalf("create schedule = %d %v", code, sc)
			}
			id := sc["id"].(string)
			slot, err := time.Parse(time.RFC3339Nano, sc["next_run"].(string))
			if err != nil {
				t.Fatalf("next_run %v: %v", sc["next_run"], err)
			}
			back := c.lose(t, firer, proxy, survivors[0], id, slot)
			lostAt := time.Now()

			// The slot is fired (or found fired) once the node's lease (3 s) has expired and
			// another node is elected, within its next look at the schedules (2 s).
			var got map[string]any
			var nextSlot time.Time
			for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
				_, got, _ = survivors[1].do("GET", "/schedules/"+id, "")
				if nextSlot, err = time.Parse(time.RFC3339Nano, got["next_run"].(string)); err == nil && nextSlot.After(slot) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("slot %s not fired 30s after the firing node was lost: %v", slot, got)
				}
			}
			recordedAfter := time.Since(lostAt).Round(time.Millisecond)
			back()
			time.Sleep(2 * time.Second) // a second run, if one were fired, has time to appear
			refired := false
			for _, d := range append(survivors, firer) {
				refired = refired || strings.Contains(d.logs(), "schedule slot fired again after a node died")
			}
			t.Logf("slot %s recorded %s after the firing node was lost; fired again by another node: %v", slot.Format(time.StampMilli), recordedAfter, refired)
			runs := slotRuns(t, survivors[1], id, nextSlot)
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
