package main

import (
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// After a job, /metrics parses with Prometheus's own text parser and counts what happened.
func TestMetricsAfterAJob(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, testproviderConfig+"\nexport:\n  base_path: "+t.TempDir()+"\n")
	_, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"vmdk"}`)
	d.waitJob(body["job_id"].(string))
	resp, err := d.http.Get(d.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("metrics do not parse: %v", err)
	}
	value := func(name string, labels map[string]string) float64 {
		f, ok := families[name]
		if !ok {
			t.Errorf("metric %s missing", name)
			return -1
		}
	next:
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
		t.Errorf("metric %s has no series %v", name, labels)
		return -1
	}
	checks := []struct {
		name   string
		labels map[string]string
		min    float64
	}{
		{"hypersdk_jobs", map[string]string{"state": "completed"}, 1},
		{"hypersdk_job_duration_seconds", map[string]string{"kind": "export", "status": "completed"}, 1},
		{"hypersdk_export_bytes_total", map[string]string{"provider": "testprovider"}, 1 << 20},
		{"hypersdk_plugin_ready", map[string]string{"plugin": "testprovider"}, 1},
		{"hypersdk_http_requests_total", map[string]string{"route": "/jobs/submit", "code": "202"}, 1},
		{"hypersdk_http_request_duration_seconds", map[string]string{"route": "/jobs/query"}, 1},
	}
	for _, c := range checks {
		if got := value(c.name, c.labels); got < c.min {
			t.Errorf("%s%v = %v, want >= %v", c.name, c.labels, got, c.min)
		}
	}
	if _, ok := families["hypersdk_plugin_restarts"]; !ok {
		t.Error("hypersdk_plugin_restarts missing")
	}
}
