package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

var vsphereLike = []provider.ConfigKey{
	{Name: "host", Type: provider.KeyString, Required: true},
	{Name: "port", Type: provider.KeyInt},
	{Name: "password", Type: provider.KeyString, Secret: true},
	{Name: "sas_url", Type: provider.KeyString, Secret: true},
	{Name: "key_file", Type: provider.KeyString},
}

func TestCheckProviderSettingsNamesTheKeyPath(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		settings map[string]any
		want     []string
	}{
		{"valid", map[string]any{"host": "vc", "port": "443"}, nil},
		{"wrong type", map[string]any{"host": "vc", "port": "abc"}, []string{`providers.vc-east.port: must be an int, got "abc"`}},
		{"missing and unknown", map[string]any{"hots": "vc"}, []string{
			`providers.vc-east.host: is required (a string)`, `providers.vc-east.hots: unknown key (did you mean "host"?)`}},
	}
	for _, c := range cases {
		_, problems := CheckProviderSettings("vc-east", vsphereLike, c.settings)
		var got []string
		for _, p := range problems {
			got = append(got, p.String())
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: problems = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestRedactProviderSettings(t *testing.T) {
	t.Parallel()
	in := map[string]any{"host": "vc", "password": "p", "sas_url": "https://x?sig=s", "key_file": "/etc/k.pem", "api_token": "t", "port": 443}
	cases := []struct {
		name   string
		keys   []provider.ConfigKey
		hidden []string // keys whose value must be redacted
		shown  []string // keys whose value must be shown
	}{
		// By schema: sas_url is secret although no name rule would catch it; key_file is a path,
		// not a secret, although its name says "key"; api_token is undeclared, so its name decides.
		{"with a schema", vsphereLike, []string{"password", "sas_url", "api_token"}, []string{"host", "key_file", "port"}},
		{"without a schema, by name", nil, []string{"password", "api_token", "key_file"}, []string{"host", "sas_url", "port"}},
	}
	for _, c := range cases {
		out := RedactProviderSettings(c.keys, in)
		for _, k := range c.hidden {
			if out[k] != Redacted {
				t.Errorf("%s: %s = %v, want redacted", c.name, k, out[k])
			}
		}
		for _, k := range c.shown {
			if out[k] != in[k] {
				t.Errorf("%s: %s = %v, want %v", c.name, k, out[k], in[k])
			}
		}
		if len(out) != len(in) || strings.Contains(in["password"].(string), Redacted) {
			t.Errorf("%s: redaction lost keys or changed its input: in=%v out=%v", c.name, in, out)
		}
	}
}
