package main

import (
	"bytes"
	"strings"
	"testing"
)

// A --timeout or --server no request could succeed with is a usage error (exit 2) naming the
// flag, not "daemon unreachable" (exit 3); valid flags still reach the network.
func TestGlobalFlagsAreCheckedBeforeAnyRequest(t *testing.T) {
	cases := []struct {
		name string
		env  string // HYPERCTL_SERVER
		args []string
		code int
		says string // a part of stderr
	}{
		{"a negative timeout", "", []string{"--timeout", "-1s", "health"}, exitUsage, "--timeout"},
		{"a zero timeout", "", []string{"--timeout", "0s", "health"}, exitUsage, "--timeout"},
		{"a server that is no URL", "", []string{"--server", "not-a-url", "health"}, exitUsage, "--server"},
		{"a server without a scheme", "", []string{"--server", "127.0.0.1:8080", "health"}, exitUsage, "--server"},
		{"a server of another scheme", "", []string{"--server", "ftp://example.com", "health"}, exitUsage, "--server"},
		{"a server without a host", "", []string{"--server", "http://", "health"}, exitUsage, "--server"},
		{"a server with a port but no host", "", []string{"--server", "http://:8080", "health"}, exitUsage, "--server"},
		{"a bad HYPERCTL_SERVER", "not-a-url", []string{"health"}, exitUsage, "HYPERCTL_SERVER"},
		{"a bad output", "", []string{"-o", "xml", "health"}, exitUsage, "--output"},
		{"valid flags, no daemon", "", []string{"--server", "http://127.0.0.1:1/", "--timeout", "2s", "health"}, exitUnreachable, "cannot reach hypervisord"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("HYPERCTL_SERVER", c.env)
			var stdout, stderr bytes.Buffer
			if code := run(c.args, &stdout, &stderr); code != c.code || !strings.Contains(stderr.String(), c.says) {
				t.Errorf("hyperctl %v = exit %d, stderr %q; want exit %d saying %q", c.args, code, stderr.String(), c.code, c.says)
			}
		})
	}
}
