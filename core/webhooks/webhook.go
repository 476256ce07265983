// Package webhooks delivers bus events to HTTP endpoints: the ones in the daemon configuration
// and the ones registered through POST /webhooks/configure. The dispatcher is a bus recorder:
// every event, for each hook that wants it, is in the persisted outbox before the Publish that
// announced it returns, however slow the receivers are. Deliveries are signed with HMAC-SHA256
// of the body and retried with backoff, so a daemon crash or a receiver that is down for a
// while does not lose events.
package webhooks

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"time"
)

// Hook is one registered endpoint.
type Hook struct {
	ID        string            `json:"id"`
	URL       string            `json:"url"`
	Events    []string          `json:"events"`
	Headers   map[string]string `json:"headers,omitempty"`
	Secret    string            `json:"secret,omitempty"`
	Source    string            `json:"source"` // config or api
	CreatedAt time.Time         `json:"created_at"`
}

// Events a hook may ask for; "*" is every one.
var KnownEvents = []string{
	"job.created", "job.started", "job.progress", "job.completed", "job.failed", "job.cancelled",
	"schedule.triggered", "policy.run.started", "policy.run.completed", "backup.pruned", "*",
}

// ErrInvalid is a hook definition that cannot be accepted; the message names the field.
var ErrInvalid = errors.New("invalid webhook")

var secretHeader = regexp.MustCompile(`(?i)(auth|token|key|secret|cookie|pass)`)

// Wants reports whether the hook subscribes to an event type.
func (h Hook) Wants(event string) bool {
	return slices.Contains(h.Events, event) || slices.Contains(h.Events, "*")
}

// Public returns the hook as the API may show it: no secret, header values that look like
// credentials replaced.
func (h Hook) Public() Hook {
	out := h
	out.Secret = ""
	if len(h.Headers) > 0 {
		out.Headers = map[string]string{}
		for k, v := range h.Headers {
			if secretHeader.MatchString(k) {
				v = "(redacted)"
			}
			out.Headers[k] = v
		}
	}
	return out
}

// RedactURL is a hook URL as logs may show it: scheme and host only, because the path, query
// and user info of a webhook URL often are its credential (Slack, Teams, "?token=").
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsable URL)"
	}
	out := u.Scheme + "://" + u.Host
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		out += "/(redacted)"
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
