package webhooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
)

// counter is a receiver that counts the requests it gets and answers with answer.
func counter(t *testing.T, answer http.HandlerFunc) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		answer(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// The address a delivery connects to is checked after DNS, and a redirect is never followed,
// wherever it points.
func TestDeliveryChecksTheAddressItConnectsTo(t *testing.T) {
	t.Parallel()
	ok, okHits := counter(t, func(http.ResponseWriter, *http.Request) {})
	other, otherHits := counter(t, func(http.ResponseWriter, *http.Request) {})
	toMetadata, _ := counter(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/iam/", http.StatusTemporaryRedirect)
	})
	toOther, _ := counter(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/x", http.StatusFound)
	})
	viaLocalhost := "http://localhost:" + ok.URL[strings.LastIndex(ok.URL, ":")+1:] + "/hook"
	cases := []struct {
		name    string
		guard   Guard
		url     string
		wantErr string // "" for a delivery that arrives
	}{
		{"hostname resolving to loopback", Guard{}, viaLocalhost, "loopback"},
		{"the same, loopback allowed", Guard{AllowLoopback: true}, viaLocalhost, ""},
		{"redirect to the metadata service", Guard{AllowLoopback: true}, toMetadata.URL, "redirects are not followed"},
		{"redirect to another receiver", Guard{AllowLoopback: true}, toOther.URL, "redirects are not followed"},
	}
	for _, c := range cases {
		before := okHits.Load()
		d := &Dispatcher{client: c.guard.Client(10 * time.Second)}
		err := d.send(context.Background(), Hook{ID: "h", URL: c.url}, delivery{Seq: 1, Event: events.JobFailed, Body: []byte(`{}`)})
		switch {
		case c.wantErr == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.wantErr != "" && (err == nil || !strings.Contains(err.Error(), c.wantErr)):
			t.Errorf("%s: err = %v, want one saying %q", c.name, err, c.wantErr)
		}
		if arrived := okHits.Load() > before; c.url == viaLocalhost && arrived != (c.wantErr == "") {
			t.Errorf("%s: receiver reached: %v", c.name, arrived)
		}
	}
	if otherHits.Load() != 0 {
		t.Errorf("a redirect was followed: the redirect target got %d requests", otherHits.Load())
	}
}

// Literal forbidden addresses are refused when a hook is registered (API) or configured (file).
func TestForbiddenLiteralAddressesAreRefusedUpFront(t *testing.T) {
	t.Parallel()
	cases := []struct {
		url     string
		guard   Guard
		refused bool
	}{
		{"http://127.0.0.1:9/x", Guard{}, true},
		{"http://[::1]:9/x", Guard{}, true},
		{"http://127.0.0.1:9/x", Guard{AllowLoopback: true}, false},
		{"http://169.254.169.254/latest", Guard{AllowLoopback: true}, true},
		{"http://[::ffff:169.254.169.254]/latest", Guard{}, true},
		{"http://0.0.0.0:8080/", Guard{}, true},
		{"http://[fd00:ec2::254]/latest/meta-data/", Guard{AllowLoopback: true}, true},
		{"http://100.100.100.200/latest/meta-data/", Guard{AllowLoopback: true}, true},
		{"https://hooks.example.com/x", Guard{}, false},
	}
	for _, c := range cases {
		d, err := NewDispatcher(openStore(t), events.NewBus(), nil, c.guard, hclog.NewNullLogger())
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Add(Hook{URL: c.url, Events: []string{"*"}})
		if refused := errors.Is(err, ErrInvalid) && strings.Contains(err.Error(), "url: "); refused != c.refused {
			t.Errorf("Add %s (%+v) = %v, want refused %v", c.url, c.guard, err, c.refused)
		}
		_, err = NewDispatcher(openStore(t), events.NewBus(), []Hook{{URL: "https://ok.example.com"}, {URL: c.url}}, c.guard, hclog.NewNullLogger())
		if refused := err != nil && strings.HasPrefix(err.Error(), "webhooks[1].url: "); refused != c.refused {
			t.Errorf("configured %s (%+v): NewDispatcher = %v, want refused %v", c.url, c.guard, err, c.refused)
		}
	}
}
