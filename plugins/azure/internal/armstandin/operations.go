package armstandin

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// operation is one long-running operation, polled through its Azure-AsyncOperation URL (its
// status) and its Location URL (its result).
type operation struct {
	id       string
	location string // Azure region, part of the operation URLs
	started  time.Time
	// polls is how many more polls answer InProgress.
	polls, total int
	status       string // InProgress, Succeeded, Failed
	err          *armError
	// complete does the operation's work when its polls run out, under the server's lock,
	// returning the result the Location URL serves (nil: an empty 200).
	complete func() (any, *armError)
	result   any
}

const apiVersion = "2025-01-02"

func (s *Server) asyncURL(op *operation) string {
	return fmt.Sprintf("%s/subscriptions/%s/providers/Microsoft.Compute/locations/%s/DiskOperations/%s?p=standin&api-version=%s",
		s.srv.URL, s.opts.Subscription, op.location, op.id, apiVersion)
}

func (s *Server) locationURL(op *operation) string {
	return fmt.Sprintf("%s/subscriptions/%s/providers/Microsoft.Compute/locations/%s/DiskOperations/%s?p=standin&monitor=true&api-version=%s",
		s.srv.URL, s.opts.Subscription, op.location, op.id, apiVersion)
}

// start registers an operation; the caller holds s.mu. A pending async fault of name makes it
// fail when its polls run out, instead of doing its work.
func (s *Server) start(name, location string, complete func() (any, *armError)) *operation {
	op := &operation{id: s.newID("op-"), location: location, started: time.Now().UTC(), polls: s.opts.Polls, total: s.opts.Polls,
		status: "InProgress", complete: complete}
	if f, ok := s.takeFault(name + ":async"); ok {
		op.complete = func() (any, *armError) {
			return nil, &armError{Code: f.code, Message: "the operation failed in the stand-in, as asked"}
		}
	}
	s.ops[op.id] = op
	return op
}

// accept answers the call that started op: status (202, or 200 for a PUT), its polling
// headers, and body.
func (s *Server) accept(w http.ResponseWriter, status int, op *operation, body any) {
	w.Header().Set("Azure-AsyncOperation", s.asyncURL(op))
	w.Header().Set("Location", s.locationURL(op))
	w.Header().Set("Retry-After", strconv.Itoa(s.opts.RetryAfter))
	writeJSON(w, status, body)
}

// advance moves op on by one poll; the caller holds s.mu.
func (op *operation) advance() {
	if op.status != "InProgress" {
		return
	}
	if op.polls > 0 {
		op.polls--
		return
	}
	res, err := op.complete()
	if err != nil {
		op.status, op.err = "Failed", err
		return
	}
	op.status, op.result = "Succeeded", res
}

func (s *Server) pollOperation(w http.ResponseWriter, r *http.Request, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	op := s.ops[id]
	if op == nil {
		writeError(w, http.StatusNotFound, "ResourceNotFound", "operation %s not found", id)
		return
	}
	op.advance()
	if r.URL.Query().Get("monitor") == "true" {
		switch op.status {
		case "InProgress":
			w.Header().Set("Location", s.locationURL(op))
			w.Header().Set("Retry-After", strconv.Itoa(s.opts.RetryAfter))
			writeJSON(w, http.StatusAccepted, nil)
		case "Failed":
			writeJSON(w, http.StatusInternalServerError, map[string]any{"error": op.err})
		default:
			writeJSON(w, http.StatusOK, op.result)
		}
		return
	}
	body := map[string]any{"name": op.id, "status": op.status, "startTime": op.started.Format(time.RFC3339Nano)}
	switch op.status {
	case "InProgress":
		body["percentComplete"] = float64(op.total-op.polls) * 100 / float64(op.total+1)
	case "Failed":
		body["error"] = op.err
		body["endTime"] = time.Now().UTC().Format(time.RFC3339Nano)
	default:
		body["endTime"] = time.Now().UTC().Format(time.RFC3339Nano)
		if op.result != nil {
			body["properties"] = map[string]any{"output": op.result}
		}
	}
	writeJSON(w, http.StatusOK, body)
}

// refused answers a call that a pending synchronous fault of name refuses; the caller holds s.mu.
func (s *Server) refused(w http.ResponseWriter, name string) bool {
	f, ok := s.takeFault(name)
	if !ok {
		return false
	}
	writeError(w, f.status, f.code, "%s refused by the stand-in, as asked", name)
	return true
}
