package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// After a whole workflow at trace level, no secret from the configuration appears in the
// daemon's log, any API answer, a job record, a job log or the plugin's command line.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	const token, hookSecret, password = "TOKEN-9f8e7d6c", "HOOKSECRET-1a2b3c", "PASSWORD-5e6f7a"
	os.Setenv("HYPERSDK_TEST_VSPHERE_PASSWORD", password)
	rcv := newReceiver(t)
	base := t.TempDir()
	d := startDaemon(t, `daemon:
  address: 127.0.0.1:0
  log_level: trace
  log_format: json
  plugins_dir: `+pluginsDir+`
  webhook_allow_loopback: true
providers:
  testprovider:
    api_token: "`+token+`"
  vsphere:
    simulator: true
    simulator_vms: 1
    simulator_disk_mb: 4
    password: "${HYPERSDK_TEST_VSPHERE_PASSWORD}"
export:
  base_path: `+base+`
webhooks:
  - url: `+rcv.URL+`
    events: ["*"]
    secret: "`+hookSecret+`"
    headers: {Authorization: "Bearer `+token+`"}
`)
	var answers []string
	record := func(method, path, body string) map[string]any {
		_, out, _ := d.do(method, path, body)
		raw, _ := json.Marshal(out)
		answers = append(answers, string(raw))
		return out
	}
	record("GET", "/capabilities", "")
	record("POST", "/vms/list", `{"provider":"testprovider"}`)
	record("GET", "/webhooks", "")
	job := record("POST", "/jobs/submit", `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"ovf"}`)
	d.waitJob(job["job_id"].(string))
	record("GET", "/jobs/query?job_id="+job["job_id"].(string), "")
	record("GET", "/jobs", "")
	answers = append(answers, d.text("/jobs/logs/"+job["job_id"].(string)))
	rcv.waitFor(t, "job.completed", job["job_id"].(string))
	cmdlines, _ := os.ReadFile("/proc/self/cmdline")
	answers = append(answers, d.logs(), string(cmdlines), processArgs(t))
	for _, secret := range []string{token, hookSecret, password} {
		for i, a := range answers {
			if strings.Contains(a, secret) {
				t.Errorf("secret %q leaked in output %d: %s", secret, i, a)
			}
		}
	}
}

// processArgs collects the command lines of every process on the machine (plugins included).
func processArgs(t *testing.T) string {
	entries, _ := os.ReadDir("/proc")
	var b strings.Builder
	for _, e := range entries {
		if raw, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil {
			b.Write(raw)
			b.WriteByte('\n')
		}
	}
	return b.String()
}
