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

// A webhook URL is often a credential: only admins list hooks, and the daemon's log names a
// hook's scheme and host, never its path, query or user info.
func TestWebhookURLsStayWithAdmins(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	rcv.mu.Lock()
	rcv.down = true // every delivery fails, so the log has something to say about the URL
	rcv.mu.Unlock()
	host := strings.TrimPrefix(rcv.URL, "http://")
	hookURL := "http://hookuser:USERINFOSECRET@" + host + "/services/PATHSECRET?token=QUERYSECRET"
	d := startDaemon(t, "daemon:\n  address: 127.0.0.1:0\n  log_format: json\n  log_level: trace\n  plugins_dir: "+pluginsDir+
		"\n  webhook_allow_loopback: true\n"+testproviderConfig+"\nexport:\n  base_path: "+t.TempDir()+`
auth:
  enabled: true
  tokens:
    - {name: dashboards, role: viewer, token: "`+viewerToken+`"}
    - {name: ops, role: operator, token: "`+operatorToken+`"}
    - {name: root, role: admin, token: "`+adminToken+`"}
`)
	if code, body := d.as(adminToken, "POST", "/webhooks/configure", `{"url":"`+hookURL+`","events":["job.created"]}`); code != 201 {
		t.Fatalf("admin registers a hook = %d %v", code, body)
	}
	for _, c := range []struct {
		who, token string
		status     int
	}{{"viewer", viewerToken, 403}, {"operator", operatorToken, 403}, {"admin", adminToken, 200}} {
		code, body := d.as(c.token, "GET", "/webhooks", "")
		if code != c.status {
			t.Errorf("%s lists webhooks = %d %v, want %d", c.who, code, body, c.status)
		}
		if listed, _ := body["webhooks"].([]any); c.status == 200 && (len(listed) != 1 || listed[0].(map[string]any)["url"] != hookURL) {
			t.Errorf("admin's list = %v, want the hook with its URL", body)
		}
	}

	_, job := d.as(operatorToken, "POST", "/jobs/submit", `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"vmdk"}`)
	logs := waitDaemonLog(t, d, "webhook delivery failed", `"url":"http://`+host+`/(redacted)"`)
	for _, secret := range []string{"USERINFOSECRET", "PATHSECRET", "QUERYSECRET"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the daemon log holds %s of the webhook URL", secret)
		}
	}
	if job["job_id"] == nil {
		t.Errorf("operator's submit = %v", job)
	}
}
