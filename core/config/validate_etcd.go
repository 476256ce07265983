package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// validateEtcd checks database.etcd when database.backend is etcd.
func validateEtcd(e Etcd, bad func(path, format string, args ...any)) {
	if len(e.Endpoints) == 0 {
		bad("database.etcd.endpoints", "must list at least one etcd client URL (http://host:2379) when database.backend is etcd")
	}
	for i, ep := range e.Endpoints {
		u, err := url.Parse(ep)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(fmt.Sprintf("database.etcd.endpoints[%d]", i), "must be an etcd client URL like https://10.0.0.1:2379, got %q", ep)
		}
	}
	if !strings.HasPrefix(e.Prefix, "/") {
		bad("database.etcd.prefix", "must start with /, got %q", e.Prefix)
	}
	if (e.Username == "") != (e.Password == "") {
		bad("database.etcd.password", "username and password go together; set both or neither")
	}
	if (e.CertFile == "") != (e.KeyFile == "") {
		bad("database.etcd.key_file", "cert_file and key_file go together; set both or neither")
	}
	if e.CertFile != "" && e.CAFile == "" {
		bad("database.etcd.ca_file", "must be set when a client certificate is (TLS needs the cluster's CA)")
	}
	if e.DialTimeout <= 0 {
		bad("database.etcd.dial_timeout", "must be a positive duration, got %s", e.DialTimeout)
	}
	if e.RequestTimeout <= 0 {
		bad("database.etcd.request_timeout", "must be a positive duration, got %s", e.RequestTimeout)
	}
	if e.LeaseTTL.Std() < 2*time.Second || e.LeaseTTL.Std() > time.Hour {
		bad("database.etcd.lease_ttl", "must be between 2s and 1h, got %s", e.LeaseTTL)
	}
	if strings.ContainsAny(e.NodeID, "/ \t\n") {
		bad("database.etcd.node_id", "must not contain / or spaces, got %q", e.NodeID)
	}
}
