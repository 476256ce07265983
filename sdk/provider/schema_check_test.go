package provider

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

var testSchema = []ConfigKey{
	{Name: "host", Type: KeyString, Required: true},
	{Name: "port", Type: KeyInt, Default: "443"},
	{Name: "insecure", Type: KeyBool},
	{Name: "timeout", Type: KeyDuration, Default: "30s"},
	{Name: "regions", Type: KeyList},
	{Name: "password", Type: KeyString, Secret: true},
	{Name: "pin", Type: KeyInt, Secret: true},
}

func TestCheckSettings(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		settings map[string]any
		want     map[string]any // the converted settings, when there is no problem
		problems []string       // "key: message" substrings, in order
	}{
		{"all keys of their types", map[string]any{"host": "vc", "port": 8443, "insecure": true, "timeout": "90s", "regions": []any{"eu", "us"}, "password": "pw"},
			map[string]any{"host": "vc", "port": int64(8443), "insecure": true, "timeout": "90s", "regions": []any{"eu", "us"}, "password": "pw"}, nil},
		{"strings from ${ENV} become their key's type", map[string]any{"host": "vc", "port": "1_024", "insecure": "yes"},
			map[string]any{"host": "vc", "port": int64(1024), "insecure": true}, nil},
		{"a whole float is an int, 0 is a duration", map[string]any{"host": "vc", "port": 80.0, "timeout": 0},
			map[string]any{"host": "vc", "port": int64(80), "timeout": "0s"}, nil},
		{"an empty key counts as absent", map[string]any{"host": "vc", "port": nil}, map[string]any{"host": "vc", "port": nil}, nil},
		{"missing required key", map[string]any{"port": 1}, nil, []string{"host: is required (a string)"}},
		{"required key left empty", map[string]any{"host": nil}, nil, []string{"host: is required"}},
		{"unknown key with a suggestion", map[string]any{"host": "vc", "prot": 1}, nil, []string{`prot: unknown key (did you mean "port"?)`}},
		{"unknown key far from any", map[string]any{"host": "vc", "datacenterz": 1}, nil,
			[]string{"datacenterz: unknown key (this provider's keys: host, insecure, password, pin, port, regions, timeout)"}},
		{"int from a bad string", map[string]any{"host": "vc", "port": "abc"}, nil, []string{`port: must be an int, got "abc"`}},
		{"int from a fraction", map[string]any{"host": "vc", "port": 1.5}, nil, []string{"port: must be an int, got 1.5"}},
		{"bool from a word", map[string]any{"host": "vc", "insecure": "maybe"}, nil, []string{`insecure: must be true or false, got "maybe"`}},
		{"bool from a number", map[string]any{"host": "vc", "insecure": 1}, nil, []string{"insecure: must be true or false, got 1"}},
		{"duration without a unit", map[string]any{"host": "vc", "timeout": "30"}, nil, []string{`timeout: must be a duration like "30s" or "5m", got "30"`}},
		{"duration as a number", map[string]any{"host": "vc", "timeout": 5}, nil, []string{"timeout: must be a duration"}},
		{"string given a number", map[string]any{"host": 12}, nil, []string{"host: must be a string, got 12; quote it in the YAML"}},
		{"string given a mapping", map[string]any{"host": map[string]any{"a": 1}}, nil, []string{"host: must be a string, got a mapping"}},
		{"list given a string", map[string]any{"host": "vc", "regions": "eu"}, nil, []string{`regions: must be a list of strings, got "eu"`}},
		{"list item not a string", map[string]any{"host": "vc", "regions": []any{"eu", 3}}, nil, []string{"regions[1]: must be a string, got 3"}},
		{"secret value never quoted", map[string]any{"host": "vc", "pin": "hunter2"}, nil,
			[]string{"pin: must be an int, got a string (not shown: the key is secret)"}},
		{"every problem at once, sorted", map[string]any{"port": "x", "insecure": "y", "zzz": 1}, nil,
			[]string{"host: is required", "insecure: must be true or false", "port: must be an int", "zzz: unknown key"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, problems := CheckSettings(testSchema, c.settings)
			if len(problems) != len(c.problems) {
				t.Fatalf("problems = %v, want %d: %q", problems, len(c.problems), c.problems)
			}
			for i, want := range c.problems {
				if !strings.Contains(problems[i].Error(), want) {
					t.Errorf("problem %d = %q, want it to contain %q", i, problems[i].Error(), want)
				}
				if strings.Contains(problems[i].Error(), "hunter2") {
					t.Errorf("problem %d quotes a secret: %q", i, problems[i].Error())
				}
			}
			if c.want != nil && !reflect.DeepEqual(got, c.want) {
				t.Errorf("settings = %#v, want %#v", got, c.want)
			}
		})
	}
}

func TestCheckSettingsWithoutSchemaPassesEverything(t *testing.T) {
	t.Parallel()
	in := map[string]any{"anything": "goes", "n": 1}
	got, problems := CheckSettings(nil, in)
	if len(problems) != 0 || !reflect.DeepEqual(got, in) {
		t.Fatalf("CheckSettings(nil) = %v, %v; want the settings unchanged", got, problems)
	}
}

func TestCheckSchema(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		keys    []ConfigKey
		errPart string // "" = valid
	}{
		{"the test schema", testSchema, ""},
		{"none", nil, ""},
		{"no name", []ConfigKey{{Type: KeyString}}, "has no name"},
		{"twice", []ConfigKey{{Name: "a", Type: KeyInt}, {Name: "a", Type: KeyBool}}, `"a" is declared twice`},
		{"unknown type", []ConfigKey{{Name: "ratio", Type: "float"}}, `type "float"`},
		{"default not of its type", []ConfigKey{{Name: "port", Type: KeyInt, Default: "https"}}, `default of key "port" must be an int`},
		{"duration default", []ConfigKey{{Name: "t", Type: KeyDuration, Default: "1m"}}, ""},
	}
	for _, c := range cases {
		err := CheckSchema(c.keys)
		if c.errPart == "" {
			if err != nil {
				t.Errorf("%s: CheckSchema = %v, want nil", c.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalidArgument) || !strings.Contains(err.Error(), c.errPart) {
			t.Errorf("%s: CheckSchema = %v, want ErrInvalidArgument with %q", c.name, err, c.errPart)
		}
	}
}
