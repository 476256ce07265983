package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/webhooks"
)

// receiver is a webhook endpoint that records signed deliveries and can be told to fail.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	failNext int
	down     bool
	got      []map[string]any
	headers  []http.Header
	bodies   [][]byte
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.down || r.failNext > 0 {
			r.failNext--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		var ev map[string]any
		json.Unmarshal(body, &ev)
		r.got, r.headers, r.bodies = append(r.got, ev), append(r.headers, req.Header.Clone()), append(r.bodies, body)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) waitFor(t *testing.T, event, jobID string) (map[string]any, http.Header, []byte) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for i, ev := range r.got {
			if ev["event"] == event && ev["job_id"] == jobID {
				defer r.mu.Unlock()
				return ev, r.headers[i], r.bodies[i]
			}
		}
		r.mu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %s for %s delivered", event, jobID)
	return nil, nil, nil
}

func TestWebhooksAreSignedRetriedAndSurviveRestart(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	dir := t.TempDir()
	d := startDaemon(t, testproviderConfig+"\nexport:\n  base_path: "+dir+"/exports\ndatabase:\n  path: "+dir+"/hypersdk.db\n"+
		"webhooks:\n  - url: "+rcv.URL+"/from-config\n    events: [\"job.failed\"]\n")

	code, created, _ := d.do("POST", "/webhooks/configure", `{"url":"`+rcv.URL+`/hook","events":["job.created","job.completed"],
		"headers":{"Authorization":"Bearer token123","X-Team":"infra"}}`)
	secret, _ := created["secret"].(string)
	if code != 201 || secret == "" || created["id"] == "" {
		t.Fatalf("configure = %d %v", code, created)
	}
	_, list, _ := d.do("GET", "/webhooks", "")
	raw, _ := json.Marshal(list)
	if strings.Contains(string(raw), "token123") || strings.Contains(string(raw), secret) || !strings.Contains(string(raw), "infra") {
		t.Fatalf("GET /webhooks leaks a secret or lost a header: %s", raw)
	}
	if n := len(list["webhooks"].([]any)); n != 2 {
		t.Fatalf("%d webhooks listed, want the configured one and the new one", n)
	}

	rcv.mu.Lock()
	rcv.failNext = 1
	rcv.mu.Unlock()
	_, job, _ := d.do("POST", "/jobs/submit", `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"vmdk"}`)
	id := job["job_id"].(string)
	_, hdr, body := rcv.waitFor(t, "job.completed", id)
	if hdr.Get(webhooks.HeaderSignature) != webhooks.Sign(secret, body) || hdr.Get("Authorization") != "Bearer token123" {
		t.Errorf("delivery headers = %v", hdr)
	}
	rcv.waitFor(t, "job.created", id) // its first delivery got a 503 and was retried

	// The receiver goes down, the daemon restarts, the receiver comes back: nothing is lost.
	rcv.mu.Lock()
	rcv.down = true
	rcv.mu.Unlock()
	_, job2, _ := d.do("POST", "/jobs/submit", `{"vm_identifier":"vm-002","provider":"testprovider","export_method":"vmdk"}`)
	id2 := job2["job_id"].(string)
	d.waitJob(id2)
	time.Sleep(300 * time.Millisecond)
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	rcv.down = false
	rcv.mu.Unlock()
	startDaemonWithConfig(t, d.configPath)
	rcv.waitFor(t, "job.completed", id2)
}

func TestWebhookValidation(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, "webhooks:\n  - url: http://127.0.0.1:9/x\n    events: [\"*\"]\n")
	cases := []struct {
		method, path, body string
		status             int
		field              string
	}{
		{"POST", "/webhooks/configure", `{"url":"http://169.254.169.254/latest","events":["job.failed"]}`, 400, "url"},
		{"POST", "/webhooks/configure", `{"url":"ftp://x","events":["job.failed"]}`, 400, "url"},
		{"POST", "/webhooks/configure", `{"url":"http://example.com","events":[]}`, 400, "events"},
		{"POST", "/webhooks/configure", `{"url":"http://example.com","events":["job.exploded"]}`, 400, "events[0]"},
		{"DELETE", "/webhooks/config-0", "", 409, "id"},
		{"DELETE", "/webhooks/wh-nope", "", 404, "id"},
	}
	for _, c := range cases {
		code, body, _ := d.do(c.method, c.path, c.body)
		e, _ := body["error"].(map[string]any)
		if code != c.status || e["field"] != c.field {
			t.Errorf("%s %s %s = %d %v, want %d naming %s", c.method, c.path, c.body, code, body, c.status, c.field)
		}
	}
}
