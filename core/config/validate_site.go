package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// validateSite checks the keys that say who may reach the API: daemon.allowed_hosts,
// daemon.allowed_origins and daemon.trusted_proxies.
func validateSite(d Daemon, bad func(path, format string, args ...any)) {
	for i, h := range d.AllowedHosts {
		if h == "*" {
			continue
		}
		if !validHostEntry(h) {
			bad(fmt.Sprintf("daemon.allowed_hosts[%d]", i), `must be a host name or IP, optionally with :port, or "*", got %q`, h)
		}
	}
	for i, o := range d.AllowedOrigins {
		if o == "*" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.User != nil {
			bad(fmt.Sprintf("daemon.allowed_origins[%d]", i), `must be an origin like https://console.example.com:8443, or "*", got %q`, o)
		}
	}
	for i, p := range d.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				bad(fmt.Sprintf("daemon.trusted_proxies[%d]", i), "must be an IP address or a CIDR such as 10.0.0.0/8, got %q", p)
			}
		}
	}
}

// validHostEntry accepts what a Host header may carry: a name or IP, with an optional port
// (an IPv6 address with a port in brackets).
func validHostEntry(s string) bool {
	host := s
	if h, port, err := net.SplitHostPort(s); err == nil {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return false
		}
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" {
		return false
	}
	if net.ParseIP(host) != nil {
		return true
	}
	for _, label := range strings.Split(strings.TrimSuffix(host, "."), ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
