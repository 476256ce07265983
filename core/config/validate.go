package config

import (
	"errors"
	"fmt"
	"net"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/hypersdk/hypersdk/core/netguard"
	"github.com/hypersdk/hypersdk/core/webhooks"
)

// Events a webhook may subscribe to; "*" means all of them.
var knownEvents = []string{
	"job.created", "job.started", "job.progress", "job.completed", "job.failed", "job.cancelled",
	"schedule.triggered", "policy.run.started", "policy.run.completed", "backup.pruned", "*",
}

var (
	providerName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	sha256Hex    = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

func reflectValue(cfg *Config) reflect.Value { return reflect.ValueOf(cfg).Elem() }

// sortedKeys keeps messages about map entries in one order from run to run.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// validate checks the values that decoded cleanly against what the daemon can actually run with.
func validate(c *Config) []Problem {
	var p []Problem
	bad := func(path, format string, args ...any) {
		p = append(p, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
	}
	atLeast := func(path string, got, min int64) {
		if got < min {
			bad(path, "must be >= %d, got %d", min, got)
		}
	}
	positive := func(path string, got Duration) {
		if got <= 0 {
			bad(path, "must be a positive duration, got %s", got)
		}
	}
	oneOf := func(path, got string, allowed ...string) {
		for _, a := range allowed {
			if got == a {
				return
			}
		}
		bad(path, "must be one of %q, got %q", allowed, got)
	}

	if host, port, err := net.SplitHostPort(c.Daemon.Address); err != nil {
		bad("daemon.address", "must be host:port, got %q", c.Daemon.Address)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		bad("daemon.address", "port must be 0-65535, got %q", port)
	} else if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		bad("daemon.address", "host must be an IP address or localhost, got %q", host)
	}
	oneOf("daemon.log_level", c.Daemon.LogLevel, "trace", "debug", "info", "warn", "error")
	oneOf("daemon.log_format", c.Daemon.LogFormat, "auto", "json", "text")
	atLeast("daemon.workers", int64(c.Daemon.Workers), 1)
	if c.Daemon.PluginsDir == "" {
		bad("daemon.plugins_dir", "must not be empty")
	}
	atLeast("daemon.max_body_bytes", c.Daemon.MaxBodyBytes, 1024)
	positive("daemon.shutdown_timeout", c.Daemon.ShutdownTimeout)
	validateSite(c.Daemon, bad)

	for _, name := range sortedKeys(c.Providers) {
		prov := c.Providers[name]
		if !providerName.MatchString(name) {
			bad("providers."+name, "provider names are lower-case letters, digits, - and _")
		}
		if prov.Type != "" && !providerName.MatchString(prov.Type) {
			bad("providers."+name+".type", "must name a plugin type (lower-case letters, digits, - and _), got %q", prov.Type)
		}
		if prov.PluginSHA256 != "" && !sha256Hex.MatchString(prov.PluginSHA256) {
			bad("providers."+name+".plugin_sha256", "must be 64 lower-case hex digits")
		}
	}

	oneOf("hyper2kvm.default_format", c.Hyper2KVM.DefaultFormat, "qcow2", "raw")
	positive("hyper2kvm.poll_interval", c.Hyper2KVM.PollInterval)
	positive("hyper2kvm.job_timeout", c.Hyper2KVM.JobTimeout)
	if c.Hyper2KVM.DaemonEnabled && c.Hyper2KVM.WatchDir == "" {
		bad("hyper2kvm.watch_dir", "must be set when hyper2kvm.daemon_enabled is true")
	}

	if c.Export.BasePath == "" {
		bad("export.base_path", "must not be empty")
	}
	atLeast("export.chunk_size", c.Export.ChunkSize, 64<<10)
	if c.Export.ChunkSize > 1<<30 {
		bad("export.chunk_size", "must be <= %d, got %d", 1<<30, c.Export.ChunkSize)
	}
	atLeast("export.max_retries", int64(c.Export.MaxRetries), 0)
	atLeast("export.concurrent_exports", int64(c.Export.ConcurrentExports), 1)
	for _, name := range sortedKeys(c.Export.SourceBudgets) {
		path := "export.source_budgets." + name
		if _, ok := c.Providers[name]; !ok {
			bad(path, "names no provider instance; budgets are per instance of providers")
		}
		atLeast(path, int64(c.Export.SourceBudgets[name]), 1)
	}

	oneOf("database.backend", c.Database.Backend, "bbolt", "etcd")
	if c.Database.Backend != "etcd" && c.Database.Path == "" {
		bad("database.path", "must not be empty")
	}
	if c.Database.Backend == "etcd" {
		validateEtcd(c.Database.Etcd, bad)
	}
	if c.Export.JobTimeout < 0 {
		bad("export.job_timeout", "must be 0 (no bound) or a positive duration, got %s", c.Export.JobTimeout)
	}
	// A few minutes' retention would delete a policy's jobs before the scheduler reads how they
	// ended, so below an hour is a typo ("30s" for "30d"), not a choice.
	if r := c.Database.JobRetention; r < 0 || (r > 0 && r.Std() < time.Hour) {
		bad("database.job_retention", "must be 0 (keep jobs forever) or at least 1h, got %s", r)
	}

	oneOf("libvirt.domain_type", c.Libvirt.DomainType, "auto", "kvm", "qemu")
	for _, kv := range [][2]string{{"libvirt.socket", c.Libvirt.Socket}, {"libvirt.uri", c.Libvirt.URI}, {"libvirt.nvram_dir", c.Libvirt.NVRAMDir}} {
		if kv[1] == "" {
			bad(kv[0], "must not be empty")
		}
	}

	if (c.Daemon.TLS.CertFile == "") != (c.Daemon.TLS.KeyFile == "") {
		bad("daemon.tls", "cert_file and key_file go together")
	}
	if c.Daemon.TLS.ClientCAFile != "" && c.Daemon.TLS.CertFile == "" {
		bad("daemon.tls.client_ca_file", "needs cert_file and key_file")
	}
	if c.Auth.Enabled && len(c.Auth.Tokens) == 0 {
		bad("auth.tokens", "auth is enabled but no token is configured")
	}
	names := map[string]bool{}
	for i, t := range c.Auth.Tokens {
		path := fmt.Sprintf("auth.tokens[%d]", i)
		if t.Name == "" || names[t.Name] {
			bad(path+".name", "must be set and unique")
		}
		names[t.Name] = true
		oneOf(path+".role", t.Role, "viewer", "operator", "admin")
		switch {
		case t.Token == "" && t.TokenSHA256 == "":
			bad(path, "give token or token_sha256")
		case t.Token != "" && t.TokenSHA256 != "":
			bad(path, "give token or token_sha256, not both")
		case t.TokenSHA256 != "" && !sha256Hex.MatchString(t.TokenSHA256):
			bad(path+".token_sha256", "must be 64 lower-case hex digits")
		case t.Token != "" && len(t.Token) < 16:
			bad(path+".token", "must be at least 16 characters")
		}
	}
	if c.Auth.RateLimit.RequestsPerSecond < 0 || c.Auth.RateLimit.Burst < 0 {
		bad("auth.rate_limit", "requests_per_second and burst must not be negative")
	}

	for i, w := range c.Webhooks {
		path := fmt.Sprintf("webhooks[%d]", i)
		// the same checks as POST /webhooks/configure, from core/webhooks
		var fe *webhooks.FieldError
		if err := webhooks.ValidateURL(w.URL); errors.As(err, &fe) {
			bad(path+"."+fe.Field, "%s", fe.Err)
		} else if err := netguard.CheckURL(w.URL, c.Daemon.WebhookAllowLoopback); err != nil {
			// the daemon's webhook guard (core/webhooks) refuses the same addresses at start
			bad(path+".url", "must not reach what only the daemon's host can: %s", err)
		}
		if err := webhooks.ValidateHeaders(w.Headers); errors.As(err, &fe) {
			bad(path+"."+fe.Field, "%s", fe.Err)
		}
		if len(w.Events) == 0 {
			bad(path+".events", "must list at least one event")
		}
		for j, e := range w.Events {
			oneOf(fmt.Sprintf("%s.events[%d]", path, j), e, knownEvents...)
		}
	}
	return p
}
