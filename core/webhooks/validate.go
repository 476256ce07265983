package webhooks

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// Limits on a hook URL. A longer URL or host name can never be delivered: DNS names stop at 253
// bytes, and receivers commonly refuse request lines past a few KB.
const (
	maxURLBytes  = 2048
	maxHostBytes = 253
)

// dispatcherHeaders are the headers post writes on every delivery. A hook may not set them: a
// custom X-HyperSDK-Signature would forge the signature receivers trust.
var dispatcherHeaders = []string{"Content-Type", "User-Agent", HeaderEvent, HeaderDelivery, HeaderSignature}

// transportHeaders are the framing and hop-by-hop headers (RFC 9110 §7.6.1) net/http ignores or
// manages itself: set on a hook they would be dropped or would break the request.
var transportHeaders = []string{
	"Host", "Content-Length", "Transfer-Encoding", "Connection", "Trailer", "Te", "Upgrade",
	"Keep-Alive", "Proxy-Connection",
}

// FieldError is a hook definition refused for one field. Field names it as the API request does
// ("url", "events[1]", "headers.X-Name"); the configuration check puts "webhooks[i]." before it.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s: %s", ErrInvalid, e.Field, e.Err) }

// Unwrap makes a FieldError an ErrInvalid, and keeps its cause (a guard refusal) reachable.
func (e *FieldError) Unwrap() []error { return []error{ErrInvalid, e.Err} }

func invalid(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Validate checks the shape of a hook from the API; where it may deliver is the Guard's call.
// Its error is a *FieldError.
func Validate(h Hook) error {
	if err := ValidateURL(h.URL); err != nil {
		return err
	}
	if len(h.Events) == 0 {
		return invalid("events", "list at least one event")
	}
	for i, e := range h.Events {
		if !slices.Contains(KnownEvents, e) {
			return invalid(fmt.Sprintf("events[%d]", i), "unknown event %q; known: %v", e, KnownEvents)
		}
	}
	return ValidateHeaders(h.Headers)
}

// ValidateURL refuses a URL no delivery could ever be made to, as a *FieldError naming "url". It
// is the one check of a hook URL's shape, for the API and the configuration file alike.
func ValidateURL(raw string) error {
	if len(raw) > maxURLBytes {
		return invalid("url", "is %d bytes long; at most %d", len(raw), maxURLBytes)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return invalid("url", "must be an http:// or https:// URL, got %q", raw)
	}
	host := u.Hostname()
	switch {
	case host == "":
		return invalid("url", "names no host, got %q", raw)
	case len(host) > maxHostBytes:
		return invalid("url", "host is %d bytes long; a DNS name is at most %d", len(host), maxHostBytes)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return invalid("url", "port must be 1-65535, got %s", port)
		}
	}
	if _, err := netip.ParseAddr(host); err != nil && endsInNumber(host) {
		// The C resolver reads these as IPv4 (0x7f000001, 2130706433 and 127.1 are all
		// 127.0.0.1) and Go's asks DNS, which has no such name: refused at delivery either way.
		return invalid("url", "host %q is numeric IPv4 shorthand (hex, octal, or fewer than four parts); write the address as four decimal parts (a.b.c.d) or use a DNS name", host)
	}
	return nil
}

// endsInNumber reports whether a host's last label is a decimal or 0x-hex number: the WHATWG URL
// rule for "this host is an IPv4 address". No public DNS name ends in one (no TLD is numeric).
func endsInNumber(host string) bool {
	labels := strings.Split(host, ".")
	if len(labels) > 1 && labels[len(labels)-1] == "" {
		labels = labels[:len(labels)-1]
	}
	last := labels[len(labels)-1]
	if hex, ok := strings.CutPrefix(strings.ToLower(last), "0x"); ok {
		return strings.Trim(hex, "0123456789abcdef") == ""
	}
	return last != "" && strings.Trim(last, "0123456789") == ""
}

// ValidateHeaders refuses custom headers a delivery could never send, or must not: a name that
// is no HTTP field name, a value with a control character (CR, LF, NUL…), a header the
// dispatcher sets itself or net/http manages, or one name given twice in different case. The
// error is a *FieldError naming "headers.<name>"; headers are checked in name order.
func ValidateHeaders(headers map[string]string) error {
	names := make([]string, 0, len(headers))
	for k := range headers {
		names = append(names, k)
	}
	sort.Strings(names)
	seen := map[string]string{}
	for _, name := range names {
		field := "headers." + name
		canonical := http.CanonicalHeaderKey(name)
		switch {
		case !httpguts.ValidHeaderFieldName(name):
			return invalid(field, "%q is not an HTTP header name (letters, digits and !#$%%&'*+-.^_`|~; no spaces, colons or line breaks)", name)
		case oneOfHeaders(dispatcherHeaders, name):
			return invalid(field, "%s is set by the dispatcher on every delivery; a hook cannot set it", name)
		case oneOfHeaders(transportHeaders, name):
			return invalid(field, "%s is managed by the HTTP client (framing or hop-by-hop); a hook cannot set it", name)
		case seen[canonical] != "":
			return invalid(field, "same header as %q (names are case-insensitive)", seen[canonical])
		case !httpguts.ValidHeaderFieldValue(headers[name]):
			return invalid(field, "value holds a control character (CR, LF, NUL…), which no HTTP request can carry")
		}
		seen[canonical] = name
	}
	return nil
}

// oneOfHeaders reports whether name is in list, in any case.
func oneOfHeaders(list []string, name string) bool {
	return slices.ContainsFunc(list, func(h string) bool { return strings.EqualFold(h, name) })
}
