package webhooks

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
)

// A hook stored before ValidateHeaders refused such headers still cannot forge what the
// dispatcher says: its own headers are set after the custom ones, and an unsigned hook's
// delivery carries no signature whatever a custom header claimed. Other custom headers go out.
func TestDispatcherHeadersWinOverCustomOnes(t *testing.T) {
	t.Parallel()
	got := make(chan http.Header, 1)
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r.Header.Clone() }))
	t.Cleanup(rcv.Close)
	d, err := NewDispatcher(openStore(t), events.NewBus(), nil, Guard{AllowLoopback: true}, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	forged := map[string]string{"X-Team": "ops"}
	for _, h := range dispatcherHeaders {
		forged[h] = "forged"
	}
	body := []byte(`{"id":"evt-1"}`)
	cases := []struct {
		name      string
		secret    string
		headers   map[string]string
		signature string
	}{
		{"signed hook", "s3cret", forged, Sign("s3cret", body)},
		{"unsigned hook", "", forged, ""},
		{"unsigned hook, lower-case forgery", "", map[string]string{"x-hypersdk-signature": "forged", "X-Team": "ops"}, ""},
	}
	for _, c := range cases { // one receiver: not parallel
		h := Hook{ID: "wh-1", URL: rcv.URL, Secret: c.secret, Headers: c.headers}
		if err := d.post(context.Background(), h, delivery{Seq: 7, Event: "job.failed", Body: body}); err != nil {
			t.Fatalf("%s: post = %v", c.name, err)
		}
		hdr := <-got
		want := map[string]string{
			"Content-Type": "application/json", "User-Agent": "hypervisord-webhooks",
			HeaderEvent: "job.failed", HeaderDelivery: "wh-1-7", HeaderSignature: c.signature, "X-Team": "ops",
		}
		for k, v := range want {
			if hdr.Get(k) != v || (v == "" && len(hdr.Values(k)) != 0) {
				t.Errorf("%s: %s = %q, want %q", c.name, k, hdr.Values(k), v)
			}
		}
	}
}

// A configured hook is checked as an API one is, naming webhooks[i] and the field: the
// configuration check refuses the same, so this only backs it up for callers that skip it.
func TestConfiguredHooksThatCanNeverBeSentAreRefused(t *testing.T) {
	t.Parallel()
	cases := []struct {
		hook    Hook
		wantErr string // prefix; "" means accepted
	}{
		{Hook{URL: "https://hooks.example.com/x", Headers: map[string]string{"X-Team": "ops"}}, ""},
		{Hook{URL: "https://hooks.example.com/x", Headers: map[string]string{"X-HyperSDK-Signature": "forged"}}, "webhooks[1].headers.X-HyperSDK-Signature: "},
		{Hook{URL: "https://hooks.example.com/x", Headers: map[string]string{"X-Team": "a\r\nb"}}, "webhooks[1].headers.X-Team: "},
		{Hook{URL: "https://example.com:99999/"}, "webhooks[1].url: port"},
		{Hook{URL: "http://0x7f000001/"}, "webhooks[1].url: host"},
	}
	for _, c := range cases {
		_, err := NewDispatcher(openStore(t), events.NewBus(), []Hook{{URL: "https://ok.example.com"}, c.hook}, Guard{}, hclog.NewNullLogger())
		if (err == nil) != (c.wantErr == "") || (err != nil && !strings.HasPrefix(err.Error(), c.wantErr)) {
			t.Errorf("NewDispatcher(%+v) = %v, want %q", c.hook, err, c.wantErr)
		}
	}
}
