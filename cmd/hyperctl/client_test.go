package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The daemon refuses a mutating request without Content-Type: application/json (it is what
// tells it apart from a web page's cross-site form post), bodyless ones included.
func TestClientDeclaresJSONOnEveryMutation(t *testing.T) {
	t.Parallel()
	got := map[string]string{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got[r.Method+" "+r.URL.Path] = r.Header.Get("Content-Type")
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	c := newClient(srv.URL, "", 5*time.Second)
	calls := []struct {
		method, path string
		body         any
		want         string
	}{
		{"POST", "/jobs/submit", map[string]string{"vm_identifier": "vm-1"}, "application/json"},
		{"POST", "/jobs/cancel/j1", nil, "application/json"},
		{"POST", "/schedules/s1/pause", nil, "application/json"},
		{"DELETE", "/webhooks/w1", nil, "application/json"},
		{"GET", "/jobs", nil, ""},
	}
	for _, call := range calls {
		if _, err := c.do(context.Background(), call.method, call.path, call.body); err != nil {
			t.Fatalf("%s %s: %v", call.method, call.path, err)
		}
		if ct := got[call.method+" "+call.path]; ct != call.want {
			t.Errorf("%s %s sent Content-Type %q, want %q", call.method, call.path, ct, call.want)
		}
	}
}
