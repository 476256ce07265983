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
	"time"
)

// Exit codes scripts can rely on.
const (
	exitOK          = 0
	exitFailed      = 1 // the API refused, or a watched job failed or was cancelled
	exitUsage       = 2 // bad flags or arguments
	exitUnreachable = 3 // no answer from the daemon
)

// apiError is an error answer from the daemon, shown as one line.
type apiError struct {
	Status  int
	Code    string
	Message string
	Field   string
}

func (e *apiError) Error() string {
	s := fmt.Sprintf("%d %s", e.Status, e.Code)
	if e.Field != "" {
		s += " (" + e.Field + ")"
	}
	return s + ": " + e.Message
}

// errUnreachable wraps transport failures so main can exit 3.
var errUnreachable = errors.New("cannot reach hypervisord")

type client struct {
	server string
	token  string
	http   *http.Client
}

func (c *client) do(ctx context.Context, method, path string, body any) ([]byte, error) {
	var r io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.server, "/")+path, r)
	if err != nil {
		return nil, err
	}
	if body != nil || (method != http.MethodGet && method != http.MethodHead) {
		// The daemon wants the type on every mutating request, bodyless ones included: it is
		// what tells it a request is not a web page's cross-site form post.
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w at %s: %v", errUnreachable, c.server, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("%w: reading the answer: %v", errUnreachable, err)
	}
	if resp.StatusCode >= 400 {
		var env struct {
			Error struct{ Code, Message, Field string } `json:"error"`
		}
		if json.Unmarshal(raw, &env) == nil && env.Error.Code != "" {
			return nil, &apiError{Status: resp.StatusCode, Code: env.Error.Code, Message: env.Error.Message, Field: env.Error.Field}
		}
		return nil, &apiError{Status: resp.StatusCode, Code: http.StatusText(resp.StatusCode), Message: strings.TrimSpace(string(raw))}
	}
	return raw, nil
}

// getJSON and friends decode the answer into a generic value.
func (c *client) call(ctx context.Context, method, path string, body any) (any, error) {
	raw, err := c.do(ctx, method, path, body)
	if err != nil || len(raw) == 0 {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("the daemon answered something that is not JSON: %v", err)
	}
	return v, nil
}

func newClient(server, token string, timeout time.Duration) *client {
	return &client{server: server, token: token, http: &http.Client{Timeout: timeout}}
}
