package awsprovider

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Info.Config declares exactly the keys Settings reads, with their types and defaults, and the
// keys that hold credentials are secret.
func TestInfoDeclaresTheSettings(t *testing.T) {
	t.Parallel()
	info, err := New().Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := provider.CheckSchema(info.Config); err != nil {
		t.Fatal(err)
	}
	secret := map[string]bool{"access_key_id": true, "secret_access_key": true, "session_token": true, "external_id": true}
	declared := map[string]provider.ConfigKey{}
	for _, k := range info.Config {
		declared[k.Name] = k
		if k.Description == "" {
			t.Errorf("key %s has no description", k.Name)
		}
		if k.Secret != secret[k.Name] {
			t.Errorf("key %s: secret = %v", k.Name, k.Secret)
		}
	}
	defaults := reflect.ValueOf(defaultSettings())
	typ := defaults.Type()
	for i := range typ.NumField() {
		f := typ.Field(i)
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		k, ok := declared[name]
		if !ok {
			t.Errorf("setting %s is not declared in Info.Config", name)
			continue
		}
		delete(declared, name)
		wantType := map[reflect.Kind]string{reflect.String: provider.KeyString, reflect.Int: provider.KeyInt, reflect.Slice: provider.KeyList}[f.Type.Kind()]
		if strings.HasSuffix(name, "_timeout") || strings.HasSuffix(name, "_interval") || strings.HasSuffix(name, "_backoff") {
			wantType = provider.KeyDuration
		}
		if k.Type != wantType {
			t.Errorf("key %s: type %q, want %q", name, k.Type, wantType)
		}
		if v := defaults.Field(i); !v.IsZero() && k.Default != fmt.Sprint(v.Interface()) {
			t.Errorf("key %s: default %q, but Configure uses %v", name, k.Default, v.Interface())
		}
	}
	for name := range declared {
		t.Errorf("Info.Config declares %s, which Settings does not read", name)
	}
}

// Each bad setting is refused by Configure with ErrInvalidArgument naming its key.
func TestConfigureNamesTheBadKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		key      string
		settings map[string]any
	}{
		{"region", map[string]any{}},
		{"access_key_id", map[string]any{"region": "us-east-1", "access_key_id": "AKID"}},
		{"profile", map[string]any{"region": "us-east-1", "access_key_id": "A", "secret_access_key": "S", "profile": "p"}},
		{"ec2_endpoint", map[string]any{"region": "us-east-1", "ec2_endpoint": "localhost:4566"}},
		{"ebs_endpoint", map[string]any{"region": "us-east-1", "ebs_endpoint": "ftp://x"}},
		{"regions", map[string]any{"region": "us-east-1", "regions": []string{""}}},
		{"download_workers", map[string]any{"region": "us-east-1", "download_workers": 0}},
		{"max_attempts", map[string]any{"region": "us-east-1", "max_attempts": 99}},
		{"page_size", map[string]any{"region": "us-east-1", "page_size": 2}},
		{"request_timeout", map[string]any{"region": "us-east-1", "request_timeout": "soon"}},
		{"snapshot_timeout", map[string]any{"region": "us-east-1", "snapshot_timeout": "-1s"}},
		{"no_such_key", map[string]any{"region": "us-east-1", "no_such_key": 1}},
	} {
		cfg, err := provider.NewConfig(tc.settings)
		if err != nil {
			t.Fatal(err)
		}
		err = New().Configure(context.Background(), cfg)
		if !errors.Is(err, provider.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.key) {
			t.Errorf("Configure(%v) = %v, want ErrInvalidArgument naming %s", tc.settings, err, tc.key)
		}
	}
}

// Credentials are described in the log by where they come from, never by value.
func TestCredentialSourceNamesNoSecret(t *testing.T) {
	t.Parallel()
	got := credentialSource(Settings{AccessKeyID: "AKIDSECRETVALUE", SecretAccessKey: "s3cr3t", AssumeRoleARN: "arn:aws:iam::1:role/r"})
	if strings.Contains(got, "AKIDSECRETVALUE") || strings.Contains(got, "s3cr3t") || !strings.Contains(got, "explicit keys") || !strings.Contains(got, "role/r") {
		t.Errorf("credentialSource = %q", got)
	}
}
