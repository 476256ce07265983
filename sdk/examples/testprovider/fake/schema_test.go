package fake

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// The schema is the user-facing twin of Settings: one key per field, of the field's kind.
func TestSchemaMatchesSettings(t *testing.T) {
	t.Parallel()
	if err := provider.CheckSchema(schema); err != nil {
		t.Fatal(err)
	}
	fields := map[string]reflect.Kind{}
	st := reflect.TypeOf(Settings{})
	for i := 0; i < st.NumField(); i++ {
		name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ",")
		fields[name] = st.Field(i).Type.Kind()
	}
	kinds := map[string][]reflect.Kind{
		provider.KeyInt: {reflect.Int, reflect.Int64}, provider.KeyBool: {reflect.Bool},
		provider.KeyString: {reflect.String}, provider.KeyDuration: {reflect.String}, provider.KeyList: {reflect.Slice},
	}
	for _, k := range schema {
		kind, ok := fields[k.Name]
		if !ok {
			t.Errorf("schema key %s has no Settings field", k.Name)
			continue
		}
		if !contains(kinds[k.Type], kind) {
			t.Errorf("schema key %s is %s, but its Settings field is a %s", k.Name, k.Type, kind)
		}
		delete(fields, k.Name)
	}
	for name := range fields {
		t.Errorf("Settings field %s is not in the schema", name)
	}
}

func contains(kinds []reflect.Kind, k reflect.Kind) bool {
	for _, have := range kinds {
		if have == k {
			return true
		}
	}
	return false
}

// What the schema lets through, Configure accepts; what Configure refuses for a type, the schema
// refuses first, with the key's name.
func TestSchemaCheckedSettingsConfigure(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		settings map[string]any
		problem  string // "" = accepted by both
	}{
		{"every key, from YAML", map[string]any{"vm_count": 2, "disk_size_bytes": 4096, "chunk_delay": "1ms", "list_delay": "0s", "faults": true, "api_token": "t", "power_log": "/tmp/p"}, ""},
		{"ints and bools from ${ENV}", map[string]any{"vm_count": "2", "faults": "false"}, ""},
		{"an int that is not", map[string]any{"vm_count": "many"}, `vm_count: must be an int, got "many"`},
		{"a delay without a unit", map[string]any{"chunk_delay": "5"}, "chunk_delay: must be a duration"},
		{"a misspelt key", map[string]any{"vmcount": 2}, `vmcount: unknown key (did you mean "vm_count"?)`},
		{"a secret never quoted", map[string]any{"api_token": 12345}, "api_token: must be a string, got a number (not shown: the key is secret)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			info, err := New().Info(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			settings, problems := provider.CheckSettings(info.Config, c.settings)
			if c.problem != "" {
				if len(problems) != 1 || !strings.Contains(problems[0].Error(), c.problem) {
					t.Fatalf("problems = %v, want one with %q", problems, c.problem)
				}
				return
			}
			if len(problems) > 0 {
				t.Fatalf("problems = %v, want none", problems)
			}
			cfg, err := provider.NewConfig(settings)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := New().Configure(ctx, cfg); err != nil {
				t.Fatalf("Configure refused settings the schema accepted: %v", err)
			}
		})
	}
}
