package vsphere

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Info.Config declares exactly the keys Settings reads, with the types and defaults it has, and
// only the password is secret.
func TestInfoDeclaresTheSettings(t *testing.T) {
	info, err := New().Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]provider.ConfigKey{}
	for _, k := range info.Config {
		declared[k.Name] = k
		if k.Description == "" {
			t.Errorf("key %s has no description", k.Name)
		}
		if k.Secret != (k.Name == "password") {
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
		wantType := map[reflect.Kind]string{reflect.String: provider.KeyString, reflect.Bool: provider.KeyBool, reflect.Int: provider.KeyInt, reflect.Int64: provider.KeyInt}[f.Type.Kind()]
		if name == "shutdown_timeout" {
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
	for _, f := range []string{provider.FilterDatacenter, provider.FilterFolder, provider.FilterPowerState, provider.FilterTags, provider.FilterNamePattern} {
		if !slices.Contains(info.Filters, f) {
			t.Errorf("Info.Filters lacks %s, which ListVMs honours", f)
		}
	}
	if !info.Has(provider.CapHolds) {
		t.Error("Info lacks CapHolds")
	}
}
