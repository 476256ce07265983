package webhooks

import (
	"errors"
	"strings"
	"testing"
)

// The API audit's hooks that were accepted (201) and then failed, or were forged, on every
// delivery: each is refused naming the field at fault; what can be delivered still passes.
func TestValidateRefusesHooksThatCanNeverBeDelivered(t *testing.T) {
	t.Parallel()
	const ok = "https://hooks.example.com/x"
	longHost := "https://" + strings.Repeat("a", 100<<10) + ".example.com/"
	host254 := "https://" + strings.Repeat("a.", 125) + "abcd/"
	cases := []struct {
		name    string
		url     string
		headers map[string]string
		field   string // "" means accepted
	}{
		{"plain https", ok, nil, ""},
		{"custom headers", ok, map[string]string{"X-Team": "ops", "Authorization": "Bearer abc\tdef"}, ""},
		{"port given", "https://hooks.example.com:8443/x", nil, ""},
		{"empty port means the default", "https://hooks.example.com:/x", nil, ""},
		{"trailing dot", "https://hooks.example.com./x", nil, ""},
		{"label starting with digits", "https://1password.example.com/x", nil, ""},
		{"dotted-quad literal (the guard's call)", "http://192.0.2.1/x", nil, ""},
		{"ipv6 literal", "http://[2001:db8::1]:9000/x", nil, ""},
		{"host of 253 bytes", "https://" + strings.Repeat("a.", 124) + "abcde/", nil, ""},

		{"ftp", "ftp://example.com/x", nil, "url"},
		{"no host", "http://:80/", nil, "url"},
		{"port too large", "https://example.com:99999/", nil, "url"},
		{"port zero", "https://example.com:0/", nil, "url"},
		{"100 KB host", longHost, nil, "url"},
		{"host of 254 bytes", host254, nil, "url"},
		{"url over 2048 bytes", ok + "?" + strings.Repeat("q", 2048), nil, "url"},
		{"hex ipv4", "http://0x7f000001/", nil, "url"},
		{"upper-case hex ipv4", "http://0X7F.1/", nil, "url"},
		{"decimal ipv4", "http://2130706433/", nil, "url"},
		{"two-part ipv4", "http://127.1/", nil, "url"},
		{"octal ipv4", "http://0177.0.0.1/", nil, "url"},
		{"five numeric parts", "http://1.2.3.4.5/", nil, "url"},

		{"forged signature", ok, map[string]string{"X-HyperSDK-Signature": "forged"}, "headers.X-HyperSDK-Signature"},
		{"forged signature, lower case", ok, map[string]string{"x-hypersdk-signature": "forged"}, "headers.x-hypersdk-signature"},
		{"event header", ok, map[string]string{"X-HyperSDK-Event": "job.completed"}, "headers.X-HyperSDK-Event"},
		{"delivery header", ok, map[string]string{"X-Hypersdk-Delivery": "x-1"}, "headers.X-Hypersdk-Delivery"},
		{"content type", ok, map[string]string{"Content-Type": "text/plain"}, "headers.Content-Type"},
		{"user agent", ok, map[string]string{"User-Agent": "curl"}, "headers.User-Agent"},
		{"host", ok, map[string]string{"Host": "other.example"}, "headers.Host"},
		{"content length", ok, map[string]string{"Content-Length": "0"}, "headers.Content-Length"},
		{"transfer encoding", ok, map[string]string{"Transfer-Encoding": "chunked"}, "headers.Transfer-Encoding"},
		{"connection", ok, map[string]string{"connection": "close"}, "headers.connection"},

		{"empty name", ok, map[string]string{"": "x"}, "headers."},
		{"space in name", ok, map[string]string{"Bad Header": "x"}, "headers.Bad Header"},
		{"newline in name", ok, map[string]string{"X\nY": "x"}, "headers.X\nY"},
		{"colon in name", ok, map[string]string{"X:Y": "x"}, "headers.X:Y"},
		{"CRLF in value", ok, map[string]string{"X-Team": "ops\r\nX-Injected: 1"}, "headers.X-Team"},
		{"LF in value", ok, map[string]string{"X-Team": "ops\nmore"}, "headers.X-Team"},
		{"NUL in value", ok, map[string]string{"X-Team": "o\x00ps"}, "headers.X-Team"},
		{"one name twice", ok, map[string]string{"X-Team": "a", "x-team": "b"}, "headers.x-team"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := Validate(Hook{URL: c.url, Events: []string{"*"}, Headers: c.headers})
			if c.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want accepted", err)
				}
				return
			}
			var fe *FieldError
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &fe) || fe.Field != c.field {
				t.Fatalf("Validate = %v, want an ErrInvalid naming %q", err, c.field)
			}
			if len(err.Error()) > 600 {
				t.Errorf("message is %d bytes; it must not echo a huge URL", len(err.Error()))
			}
		})
	}
}
