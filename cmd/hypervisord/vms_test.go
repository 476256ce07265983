package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

const testproviderConfig = `
providers:
  testprovider:
    vm_count: 6
    faults: true
`

func TestSeedVMDiscovery(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, testproviderConfig)
	cases := []struct {
		name, method, path, body string
		status                   int
		check                    func(t *testing.T, body map[string]any)
	}{
		{"seed list body", "POST", "/vms/list", `{"provider":"testprovider","filter":{"datacenter":"DC1","status":"poweredOn"}}`, 200,
			func(t *testing.T, b map[string]any) {
				vms := b["vms"].([]any)
				if len(vms) != 4 || b["total"].(float64) != 4 {
					t.Fatalf("want the 4 powered-on VMs, got %v", b)
				}
				for _, raw := range vms {
					if vm := raw.(map[string]any); vm["power_state"] != "poweredOn" || len(vm["disks"].([]any)) != 1 {
						t.Errorf("vm = %v", vm)
					}
				}
			}},
		{"tags and name pattern", "POST", "/vms/list", `{"provider":"testprovider","filter":{"tags":["test"],"name_pattern":"vm-00*"}}`, 200,
			func(t *testing.T, b map[string]any) {
				if len(b["vms"].([]any)) != 2 {
					t.Fatalf("want vm-003 and vm-006, got %v", b["vms"])
				}
			}},
		{"seed info query", "GET", "/vms/info?identifier=vm-002&provider=testprovider", "", 200,
			func(t *testing.T, b map[string]any) {
				vm := b["vm"].(map[string]any)
				if vm["id"] != "vm-002" || vm["cpus"].(float64) != 2 || vm["firmware"] != "bios" || len(vm["nics"].([]any)) != 1 {
					t.Fatalf("vm = %v", vm)
				}
			}},
		{"unknown vm", "GET", "/vms/info?identifier=vm-999&provider=testprovider", "", 404,
			func(t *testing.T, b map[string]any) {
				if e := b["error"].(map[string]any); e["field"] != "identifier" {
					t.Fatalf("error = %v", e)
				}
			}},
		{"unknown provider names the loaded ones", "POST", "/vms/list", `{"provider":"aws"}`, 404,
			func(t *testing.T, b map[string]any) {
				if msg := b["error"].(map[string]any)["message"].(string); !strings.Contains(msg, "testprovider") {
					t.Fatalf("message = %q", msg)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body, _ := d.do(c.method, c.path, c.body)
			if code != c.status {
				t.Fatalf("%s %s = %d %v, want %d", c.method, c.path, code, body, c.status)
			}
			c.check(t, body)
		})
	}
}

// A provider plugin that panics fails only its own request; the daemon keeps serving, the
// plugin comes back, and /capabilities tells the story.
func TestPluginCrashDoesNotReachTheDaemon(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, testproviderConfig)
	code, body, _ := d.do("GET", "/vms/info?identifier=vm-panic&provider=testprovider", "")
	if e, _ := body["error"].(map[string]any); code != 503 || e["code"] != "plugin_exited" || !strings.Contains(e["message"].(string), "testprovider") {
		t.Fatalf("crashing call = %d %v, want 503 plugin_exited naming the plugin", code, body)
	}
	if code, _, _ := d.do("GET", "/health", ""); code != 200 {
		t.Fatal("daemon unhealthy after a plugin crash")
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, caps, _ := d.do("GET", "/capabilities", "")
		p := caps["providers"].([]any)[0].(map[string]any)
		if p["state"] == "ready" && p["restarts"].(float64) >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("plugin not restarted: %v", p)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if code, _, _ := d.do("POST", "/vms/list", `{"provider":"testprovider"}`); code != 200 {
		t.Fatalf("list after restart = %d", code)
	}
}

// SIGTERM lets a request that is already in flight finish before the daemon exits.
func TestSIGTERMLetsInFlightRequestsFinish(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "providers:\n  testprovider:\n    list_delay: 3s\n")
	d.do("GET", "/health", "") // the client's first request also loads the OpenAPI check: not the timed one
	type result struct {
		code int
		body map[string]any
		err  error
	}
	done := make(chan result, 1)
	go func() { // no t.Fatal here: it would end this goroutine, and the test would wait forever
		req, _ := http.NewRequest("POST", d.url+"/vms/list", strings.NewReader(`{"provider":"testprovider"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := d.http.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var body map[string]any
		err = json.NewDecoder(resp.Body).Decode(&body)
		done <- result{resp.StatusCode, body, err}
	}()
	time.Sleep(time.Second) // the request is in flight: the provider answers after 3 s
	stopped := make(chan error, 1)
	go func() { stopped <- d.stop() }()
	r := <-done
	if r.err != nil || r.code != 200 || len(r.body["vms"].([]any)) != 3 {
		t.Fatalf("in-flight request during shutdown = %d %v %v", r.code, r.body, r.err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("daemon exit: %v", err)
	}
}
