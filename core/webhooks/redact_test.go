package webhooks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/events"
)

func TestRedactURLKeepsSchemeAndHostOnly(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"https://hooks.slack.com/services/T0/B0/XXXXSECRET", "https://hooks.slack.com/(redacted)"},
		{"https://example.com/hook?token=SECRET", "https://example.com/(redacted)"},
		{"https://user:SECRET@example.com", "https://example.com/(redacted)"},
		{"http://10.0.0.5:9000", "http://10.0.0.5:9000"},
		{"http://10.0.0.5:9000/", "http://10.0.0.5:9000"},
		{"http://[::1]:9/x#SECRET", "http://[::1]:9/(redacted)"},
		{"::not a url SECRET", "(unparsable URL)"},
	}
	for _, c := range cases {
		if got := RedactURL(c.in); got != c.want || strings.Contains(got, "SECRET") {
			t.Errorf("RedactURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// A failed delivery's error is logged and kept in the outbox: it names the host, never the
// secret parts of the URL.
func TestDeliveryErrorsDoNotCarryTheURL(t *testing.T) {
	t.Parallel()
	d := &Dispatcher{client: Guard{}.Client(10 * time.Second)}
	for _, raw := range []string{
		"http://hookuser:PASSSECRET@localhost:1/services/PATHSECRET?token=QUERYSECRET",
		"http://127.0.0.1:1/services/PATHSECRET",
		"http://%zz/PATHSECRET",
	} {
		err := d.send(context.Background(), Hook{URL: raw}, delivery{Seq: 1, Event: events.JobFailed, Body: []byte(`{}`)})
		if err == nil || strings.Contains(err.Error(), "SECRET") {
			t.Errorf("send to %s: error %v, want one without the URL's secrets", raw, err)
		}
	}
}
