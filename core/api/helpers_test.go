package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/audit"
	"github.com/hypersdk/hypersdk/core/auth"
	"github.com/hypersdk/hypersdk/core/config"
	"github.com/hypersdk/hypersdk/core/store"
)

// testServer is the API with the dependencies the middleware needs (an audit log in a temp
// store); tests fill in what their routes call.
func testServer(t *testing.T, d Deps) http.Handler {
	t.Helper()
	d.Log = hclog.NewNullLogger()
	if d.Audit == nil {
		d.Audit = testAudit(t)
	}
	if d.Auth == nil {
		d.Auth = auth.New(config.Auth{})
	}
	if d.MaxBodyBytes == 0 {
		d.MaxBodyBytes = 1 << 20
	}
	if d.Listen == "" {
		d.Listen = "127.0.0.1:8080"
	}
	return New(d)
}

// testAudit is an audit log in a temporary store.
func testAudit(t *testing.T) *audit.Log {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return audit.New(db)
}

// testRequest is one request to a testServer.
type testRequest struct {
	method, path, body string
	header             map[string]string
	remote             string
}

// send serves req and returns the status, the raw body and the error envelope (zero if the
// answer is not one).
func send(t *testing.T, h http.Handler, req testRequest) (int, string, ErrorDetail) {
	t.Helper()
	var body io.Reader
	if req.body != "" {
		body = strings.NewReader(req.body)
	}
	r := httptest.NewRequest(req.method, "http://127.0.0.1:8080"+req.path, body)
	for k, v := range req.header {
		if k == "Host" {
			r.Host = v
			continue
		}
		r.Header.Set(k, v)
	}
	if req.remote != "" {
		r.RemoteAddr = req.remote
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var env ErrorBody
	_ = json.Unmarshal(w.Body.Bytes(), &env)
	return w.Code, w.Body.String(), env.Error
}
