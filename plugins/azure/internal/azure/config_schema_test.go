package azure

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// The schema names every key of Settings and nothing else, with the defaults defaultSettings
// applies.
func TestSchemaMatchesSettings(t *testing.T) {
	t.Parallel()
	if err := provider.CheckSchema(configKeys); err != nil {
		t.Fatal(err)
	}
	var defaults map[string]any
	raw, _ := json.Marshal(defaultSettings())
	if err := json.Unmarshal(raw, &defaults); err != nil {
		t.Fatal(err)
	}
	typ := reflect.TypeFor[Settings]()
	fields := map[string]bool{}
	for i := range typ.NumField() {
		fields[strings.Split(typ.Field(i).Tag.Get("json"), ",")[0]] = true
	}
	for _, k := range configKeys {
		if !fields[k.Name] {
			t.Errorf("schema key %s is not a setting", k.Name)
		}
		delete(fields, k.Name)
		if v := defaults[k.Name]; k.Default != "" && fmt.Sprint(v) != k.Default {
			t.Errorf("%s: schema default %q, defaultSettings %v", k.Name, k.Default, v)
		}
	}
	for f := range fields {
		t.Errorf("setting %s is missing from the schema", f)
	}
}

func TestSettingsErrorsNameTheKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		change func(*Settings)
		key    string
	}{
		{func(s *Settings) { s.SubscriptionID = "" }, "subscription_id"},
		{func(s *Settings) { s.Cloud = "mars" }, "cloud"},
		{func(s *Settings) { s.Credential = "client_secret" }, "credential client_secret needs"},
		{func(s *Settings) { s.Credential = "password" }, "credential"},
		{func(s *Settings) { s.ResourceGroups = []string{"a/b"} }, "resource_groups[0]"},
		{func(s *Settings) { s.DownloadWorkers = 0 }, "download_workers"},
		{func(s *Settings) { s.ChunkSizeMB = 1000 }, "chunk_size_mb"},
		{func(s *Settings) { s.SASDuration = "48h" }, "sas_duration"},
		{func(s *Settings) { s.PollInterval = "soon" }, "poll_interval"},
		{func(s *Settings) { s.ShutdownMode = "hibernate" }, "shutdown_mode"},
		{func(s *Settings) { s.ResourceManagerEndpoint = "http://management.example.com" }, "resource_manager_endpoint"},
	} {
		t.Run(tc.key, func(t *testing.T) {
			t.Parallel()
			s := defaultSettings()
			s.SubscriptionID = "sub"
			tc.change(&s)
			_, err := s.validate()
			if !errors.Is(err, provider.ErrInvalidArgument) || !strings.Contains(err.Error(), "providers.azure."+tc.key) {
				t.Fatalf("validate = %v, want ErrInvalidArgument naming providers.azure.%s", err, tc.key)
			}
		})
	}
}
