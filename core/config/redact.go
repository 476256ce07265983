package config

import (
	"regexp"
	"sort"
)

// secretKey matches setting names whose values must never reach a log line, an error or a response.
var secretKey = regexp.MustCompile(`(?i)(pass|secret|token|key|credential|auth)`)

// Redacted is the placeholder shown instead of a secret value.
const Redacted = "(redacted)"

// IsSecretKey reports whether a setting with this name holds a secret.
func IsSecretKey(name string) bool { return secretKey.MatchString(name) }

// RedactSettings returns a copy of provider settings safe to log: secret values replaced, nested maps too.
func RedactSettings(settings map[string]any) map[string]any {
	out := make(map[string]any, len(settings))
	for k, v := range settings {
		switch {
		case IsSecretKey(k) && v != nil && v != "":
			out[k] = Redacted
		case isMap(v):
			out[k] = RedactSettings(v.(map[string]any))
		default:
			out[k] = v
		}
	}
	return out
}

func isMap(v any) bool { _, ok := v.(map[string]any); return ok }

// EnabledProviders lists the names of enabled provider sections in a stable order.
func (c Config) EnabledProviders() []string {
	var names []string
	for name, p := range c.Providers {
		if p.IsEnabled() {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}
