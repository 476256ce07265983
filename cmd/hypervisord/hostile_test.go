package main

import (
	"strings"
	"testing"
)

// Every endpoint that takes a body answers malformed input with a 4xx envelope, and none of it
// changes what the daemon holds.
func TestMalformedRequestsToEveryEndpoint(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, testproviderConfig+"\nexport:\n  base_path: "+t.TempDir()+"\n")
	endpoints := []struct{ method, path string }{
		{"POST", "/vms/list"}, {"POST", "/jobs/submit"}, {"POST", "/convert"}, {"POST", "/import-to-kvm"},
		{"POST", "/webhooks/configure"}, {"POST", "/schedules/create"}, {"PUT", "/schedules/sched-x"},
		{"POST", "/backup-policies/create"},
	}
	bodies := map[string]string{
		"empty":          ``,
		"not json":       `\x00\x01garbage`,
		"truncated":      `{"provider":`,
		"array of junk":  `[1,2,3]`,
		"wrong types":    `{"vm_identifier":7,"provider":[],"name":{},"url":false,"cron":1,"source_path":2,"vm_name":3}`,
		"unknown fields": `{"definitely_not_a_field":1}`,
		"trailing data":  `{} {}`,
		"deep nesting":   strings.Repeat(`{"a":`, 20000) + `1` + strings.Repeat(`}`, 20000),
		"huge string":    `{"vm_identifier":"` + strings.Repeat("x", 2<<20) + `"}`,
	}
	for _, ep := range endpoints {
		for name, body := range bodies {
			code, resp, _ := d.do(ep.method, ep.path, body)
			e, _ := resp["error"].(map[string]any)
			if code < 400 || code > 499 || e == nil || e["code"] == "" {
				t.Errorf("%s %s with %s = %d %v, want a 4xx envelope", ep.method, ep.path, name, code, resp)
			}
		}
	}
	for path, key := range map[string]string{"/jobs": "jobs", "/schedules": "schedules", "/backup-policies": "backup_policies", "/webhooks": "webhooks"} {
		_, list, _ := d.do("GET", path, "")
		if items, _ := list[key].([]any); len(items) != 0 {
			t.Errorf("%s holds %v after malformed requests", path, items)
		}
	}
}
