package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// specCheck is the transport of every test client: it checks each answer of the daemon against
// the OpenAPI description that daemon serves at /openapi.json, and fails the test on a mismatch,
// so the description cannot drift from the code again. Two kinds of answer cannot be described
// in OpenAPI and are passed through unchecked: the WebSocket upgrade (/websocket) and followed
// logs (/jobs/logs/{id}?follow=1), which stream until the job ends.
type specCheck struct {
	t    testing.TB
	next http.RoundTripper

	once   sync.Once
	doc    *openapi3.T
	router routers.Router
	err    error
}

// checked wraps a transport with the check, for tests that need their own (TLS) transport.
func checked(t testing.TB, next http.RoundTripper) http.RoundTripper {
	return &specCheck{t: t, next: next}
}

func (s *specCheck) RoundTrip(req *http.Request) (*http.Response, error) {
	if !describable(req) {
		return s.next.RoundTrip(req)
	}
	// the description is read before the first request goes out, while the daemon is surely
	// up: that request may be the last one it answers before it stops
	loadErr := s.load(req)
	resp, err := s.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return resp, fmt.Errorf("reading the answer to %s %s: %w", req.Method, req.URL.Path, err)
	}
	if err := errors.Join(loadErr, s.check(req, resp, body)); err != nil {
		s.t.Errorf("%s %s answered %d, which the daemon's OpenAPI description does not allow:\n%v\nbody: %.2000s",
			req.Method, req.URL.RequestURI(), resp.StatusCode, err, body)
	}
	return resp, nil
}

// describable is false for the answers OpenAPI cannot describe.
func describable(req *http.Request) bool {
	if req.URL.Path == "/websocket" {
		return false
	}
	follow := req.URL.Query().Get("follow")
	return !(strings.HasPrefix(req.URL.Path, "/jobs/logs/") && (follow == "1" || follow == "true"))
}

// load reads and checks the description once, from the daemon the first request went to.
func (s *specCheck) load(req *http.Request) error {
	s.once.Do(func() {
		specReq, err := http.NewRequestWithContext(req.Context(), "GET", req.URL.Scheme+"://"+req.URL.Host+"/openapi.json", nil)
		if err != nil {
			s.err = err
			return
		}
		resp, err := s.next.RoundTrip(specReq)
		if err != nil {
			s.err = fmt.Errorf("fetch /openapi.json: %w", err)
			return
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			s.err = fmt.Errorf("GET /openapi.json = %d %s", resp.StatusCode, raw)
			return
		}
		loader := openapi3.NewLoader()
		if s.doc, err = loader.LoadFromData(raw); err != nil {
			s.err = fmt.Errorf("/openapi.json does not load: %w", err)
			return
		}
		if err := s.doc.Validate(loader.Context); err != nil {
			s.err = fmt.Errorf("/openapi.json is not a valid OpenAPI description: %w", err)
			return
		}
		s.router, s.err = gorillamux.NewRouter(s.doc)
	})
	return s.err
}

func (s *specCheck) check(req *http.Request, resp *http.Response, body []byte) error {
	if s.router == nil {
		return nil // load failed, and said why
	}
	route, params, err := s.router.FindRoute(req)
	if errors.Is(err, routers.ErrPathNotFound) && strings.HasSuffix(req.URL.Path, "/") && req.URL.Path != "/" {
		// the daemon routes /jobs/ as /jobs
		trimmed := req.Clone(req.Context())
		trimmed.URL.Path = "/" + strings.Trim(req.URL.Path, "/")
		route, params, err = s.router.FindRoute(trimmed)
	}
	if errors.Is(err, routers.ErrPathNotFound) || errors.Is(err, routers.ErrMethodNotAllowed) {
		return s.checkUnrouted(resp, body)
	}
	if err != nil {
		return fmt.Errorf("find the route: %w", err)
	}
	options := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: options},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                options,
	}
	in.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// checkUnrouted checks an answer to a path or method the description does not have: it must be
// a 404 or 405 in the error envelope.
func (s *specCheck) checkUnrouted(resp *http.Response, body []byte) error {
	if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		return fmt.Errorf("the route is not described, yet it answered %d", resp.StatusCode)
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("the error is not JSON: %w", err)
	}
	envelope := s.doc.Components.Schemas["ErrorBody"]
	if envelope == nil {
		return errors.New("the description has no ErrorBody schema")
	}
	return envelope.Value.VisitJSON(v)
}

// TestSpecCheckCatchesADriftedAnswer shows the check is not vacuous: an answer that breaks the
// description (a bare array where an object is described; an undocumented field; a wrong status)
// is reported.
func TestSpecCheckCatchesADriftedAnswer(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, testproviderConfig)
	cases := []struct {
		name, method, path, answer string
		status                     int
	}{
		{"bare array for an object", "GET", "/schedules", `[]`, 200},
		{"undocumented field", "GET", "/health", `{"status":"healthy","version":"x","uptime_seconds":1,"extra":true}`, 200},
		{"Go field names", "GET", "/vms/info", `{"provider":"p","vm":{"ID":"vm-1","CPUs":2}}`, 200},
		{"success where an error is due", "GET", "/jobs/query", `{"ok":true}`, 404},
		{"HTML for an unknown path", "GET", "/jobs/nope/", `<a href="/jobs/nope">Moved Permanently</a>.`, 301},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fake := roundTripFunc(func(*http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: c.status, Header: http.Header{"Content-Type": {"application/json"}},
					Body: io.NopCloser(strings.NewReader(c.answer))}, nil
			})
			recorder := &errorRecorder{TB: t}
			s := &specCheck{t: recorder, next: fake}
			s.once.Do(func() {}) // the description comes from the real daemon
			real := &specCheck{t: t, next: http.DefaultTransport}
			req, _ := http.NewRequest(c.method, d.url+c.path, nil)
			if err := real.load(req); err != nil {
				t.Fatal(err)
			}
			s.doc, s.router = real.doc, real.router
			resp, err := s.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if recorder.errors == 0 {
				t.Errorf("%s %s answering %d %s passed the check", c.method, c.path, c.status, c.answer)
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// errorRecorder counts Errorf calls instead of failing the test.
type errorRecorder struct {
	testing.TB
	errors int
}

func (r *errorRecorder) Errorf(string, ...any) { r.errors++ }
