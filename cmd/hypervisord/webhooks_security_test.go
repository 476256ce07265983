package main

import (
	"strings"
	"testing"
	"time"
)

// waitDaemonLog waits until the daemon's own log holds every one of want.
func waitDaemonLog(t *testing.T, d *daemon, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		logs := d.logs()
		missing := ""
		for _, w := range want {
			if !strings.Contains(logs, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon log never said %q:\n%s", missing, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Without daemon.webhook_allow_loopback a webhook cannot reach the daemon's own host: a literal
// loopback URL is refused at registration, and a hostname resolving to loopback ("localhost")
// is refused when the delivery connects.
func TestWebhooksCannotReachTheDaemonsHost(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	port := rcv.URL[strings.LastIndex(rcv.URL, ":")+1:]
	d := startDaemon(t, "daemon:\n  address: 127.0.0.1:0\n  log_format: json\n  plugins_dir: "+pluginsDir+"\n"+
		testproviderConfig+"\nexport:\n  base_path: "+t.TempDir()+"\n")

	for _, url := range []string{rcv.URL + "/hook", "http://[::1]:" + port + "/hook", "http://169.254.169.254/latest/meta-data/"} {
		code, body, _ := d.do("POST", "/webhooks/configure", `{"url":"`+url+`","events":["*"]}`)
		if e, _ := body["error"].(map[string]any); code != 400 || e["field"] != "url" {
			t.Errorf("registering %s = %d %v, want 400 naming url", url, code, body)
		}
	}
	code, created, _ := d.do("POST", "/webhooks/configure", `{"url":"http://localhost:`+port+`/hook","events":["job.created"]}`)
	if code != 201 {
		t.Fatalf("registering a hostname = %d %v, want 201 (it is checked when a delivery connects)", code, created)
	}
	_, job, _ := d.do("POST", "/jobs/submit", `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"vmdk"}`)
	d.waitJob(job["job_id"].(string))
	waitDaemonLog(t, d, "webhook delivery failed", "is a loopback address")
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.got) != 0 {
		t.Errorf("the loopback receiver got %d deliveries: %v", len(rcv.got), rcv.got)
	}
}
