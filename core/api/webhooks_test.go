package api

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/core/events"
	"github.com/hypersdk/hypersdk/core/store"
	"github.com/hypersdk/hypersdk/core/webhooks"
)

// POST /webhooks/configure refuses, 400 naming the field, a hook whose every delivery would
// fail or carry a forged signature; those were all answered 201 before.
func TestConfigureWebhookRefusesWhatCannotBeDelivered(t *testing.T) {
	t.Parallel()
	db, err := store.Open(filepath.Join(t.TempDir(), "hooks.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	hooks, err := webhooks.NewDispatcher(db, events.NewBus(), nil, webhooks.Guard{}, hclog.NewNullLogger())
	if err != nil {
		t.Fatal(err)
	}
	srv := testServer(t, Deps{Webhooks: hooks})
	const url = `"url":"https://hooks.example.com/x","events":["job.failed"]`
	cases := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"accepted", `{` + url + `,"headers":{"X-Team":"ops"}}`, 201, ""},
		{"forged signature", `{` + url + `,"headers":{"X-HyperSDK-Signature":"forged"}}`, 400, "headers.X-HyperSDK-Signature"},
		{"content type", `{` + url + `,"headers":{"content-type":"text/plain"}}`, 400, "headers.content-type"},
		{"host", `{` + url + `,"headers":{"Host":"other.example"}}`, 400, "headers.Host"},
		{"transfer encoding", `{` + url + `,"headers":{"Transfer-Encoding":"chunked"}}`, 400, "headers.Transfer-Encoding"},
		{"empty name", `{` + url + `,"headers":{"":"x"}}`, 400, "headers."},
		{"space in name", `{` + url + `,"headers":{"Bad Header":"x"}}`, 400, "headers.Bad Header"},
		{"newline in name", `{` + url + `,"headers":{"X\nY":"x"}}`, 400, "headers.X\nY"},
		{"colon in name", `{` + url + `,"headers":{"X:Y":"x"}}`, 400, "headers.X:Y"},
		{"CRLF in value", `{` + url + `,"headers":{"X-Team":"ops\r\nX-Injected: 1"}}`, 400, "headers.X-Team"},
		{"NUL in value", `{` + url + `,"headers":{"X-Team":"o\u0000ps"}}`, 400, "headers.X-Team"},
		{"no host", `{"url":"http://:80/","events":["*"]}`, 400, "url"},
		{"port too large", `{"url":"https://example.com:99999/","events":["*"]}`, 400, "url"},
		{"port zero", `{"url":"https://example.com:0/","events":["*"]}`, 400, "url"},
		{"100 KB host", `{"url":"https://` + strings.Repeat("a", 100<<10) + `.example.com/","events":["*"]}`, 400, "url"},
		{"hex ipv4", `{"url":"http://0x7f000001/","events":["*"]}`, 400, "url"},
		{"decimal ipv4", `{"url":"http://2130706433/","events":["*"]}`, 400, "url"},
		{"two-part ipv4", `{"url":"http://127.1/","events":["*"]}`, 400, "url"},
		{"loopback literal (the guard)", `{"url":"http://127.0.0.1:9/","events":["*"]}`, 400, "url"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			status, body, e := send(t, srv, testRequest{method: "POST", path: "/webhooks/configure", body: c.body,
				header: map[string]string{"Content-Type": "application/json"}})
			if status != c.status || e.Field != c.field || (c.status == 400 && e.Code != "invalid_field") {
				t.Fatalf("POST /webhooks/configure = %d %.300s, want %d naming %q", status, body, c.status, c.field)
			}
		})
	}
}
