package provider

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SettingError is one key of a provider's configuration section that its declared keys refuse.
// The host prefixes Key with providers.<instance>. and reports it like any configuration error.
type SettingError struct {
	Key     string // the key within the section, e.g. "port" or "regions[1]"
	Message string // e.g. `must be an int, got "abc"`
}

func (e SettingError) Error() string { return e.Key + ": " + e.Message }

// CheckSchema reports a declaration the host cannot check settings against: a key without a
// name, declared twice, of an unknown type, or whose Default is not of its type.
func CheckSchema(keys []ConfigKey) error {
	seen := map[string]bool{}
	for _, k := range keys {
		switch {
		case k.Name == "":
			return fmt.Errorf("%w: config schema: a key has no name", ErrInvalidArgument)
		case seen[k.Name]:
			return fmt.Errorf("%w: config schema: key %q is declared twice", ErrInvalidArgument, k.Name)
		}
		seen[k.Name] = true
		if _, ok := typeNames[k.Type]; !ok {
			return fmt.Errorf("%w: config schema: key %q has type %q, not one of string, int, bool, duration, list", ErrInvalidArgument, k.Name, k.Type)
		}
		if k.Default != "" && k.Type != KeyString && k.Type != KeyList {
			if _, msg := convert(k, k.Default); msg != "" {
				return fmt.Errorf("%w: config schema: default of key %q %s", ErrInvalidArgument, k.Name, msg)
			}
		}
	}
	return nil
}

var typeNames = map[string]string{
	KeyString: "a string", KeyInt: "an int", KeyBool: "true or false",
	KeyDuration: `a duration like "30s" or "5m"`, KeyList: "a list of strings",
}

// CheckSettings checks a provider's section against its declared keys: every key must be
// declared, every Required key present and every value of its key's type. It returns every
// problem at once, sorted by key, and the settings with each value in its key's form: a string
// that ${ENV} expansion produced becomes the int or bool its key declares, a duration stays the
// string the provider parses, a list is a list of strings. Defaults are not filled in: a key
// left out stays out, and the provider applies its own default (the one Default documents).
// Values of Secret keys are never quoted in a message. With no keys declared, settings are
// returned as they are: such a provider checks its section itself, in Configure.
func CheckSettings(keys []ConfigKey, settings map[string]any) (map[string]any, []SettingError) {
	if len(keys) == 0 {
		return settings, nil
	}
	declared := make(map[string]ConfigKey, len(keys))
	for _, k := range keys {
		declared[k.Name] = k
	}
	out := make(map[string]any, len(settings))
	var problems []SettingError
	for name, v := range settings {
		k, ok := declared[name]
		if !ok {
			problems = append(problems, SettingError{Key: name, Message: "unknown key" + suggestKey(name, keys)})
			continue
		}
		if v == nil {
			out[name] = nil // "key:" with nothing after it: as if absent
			continue
		}
		got, errs := checkValue(k, v)
		problems = append(problems, errs...)
		out[name] = got
	}
	for _, k := range keys {
		if k.Required && settings[k.Name] == nil {
			problems = append(problems, SettingError{Key: k.Name, Message: "is required (" + typeNames[k.Type] + ")"})
		}
	}
	sort.Slice(problems, func(i, j int) bool { return problems[i].Key < problems[j].Key })
	return out, problems
}

func checkValue(k ConfigKey, v any) (any, []SettingError) {
	if k.Type == KeyList {
		items, ok := v.([]any)
		if !ok {
			if s, isStrings := v.([]string); isStrings {
				return s, nil
			}
			return v, []SettingError{{Key: k.Name, Message: "must be a list of strings, got " + describe(k, v)}}
		}
		var problems []SettingError
		for i, item := range items {
			if _, ok := item.(string); !ok {
				problems = append(problems, SettingError{Key: fmt.Sprintf("%s[%d]", k.Name, i), Message: "must be a string, got " + describe(k, item)})
			}
		}
		return v, problems
	}
	switch v.(type) {
	case map[string]any, []any:
		return v, []SettingError{{Key: k.Name, Message: "must be " + typeNames[k.Type] + ", got " + describe(k, v)}}
	}
	if s, ok := v.(string); ok {
		got, msg := convert(k, s)
		if msg != "" {
			return v, []SettingError{{Key: k.Name, Message: msg}}
		}
		return got, nil
	}
	// A YAML scalar that was not a string: an int, a float or a bool.
	switch k.Type {
	case KeyInt:
		if i, ok := wholeNumber(v); ok {
			return i, nil
		}
	case KeyBool:
		if _, ok := v.(bool); ok {
			return v, nil
		}
	case KeyDuration:
		// "0" is the one duration YAML reads as a number.
		if i, ok := wholeNumber(v); ok && i == 0 {
			return "0s", nil
		}
	case KeyString:
		return v, []SettingError{{Key: k.Name, Message: "must be a string, got " + describe(k, v) + "; quote it in the YAML"}}
	}
	return v, []SettingError{{Key: k.Name, Message: "must be " + typeNames[k.Type] + ", got " + describe(k, v)}}
}

// convert turns a string into the value of k's type, or says why it cannot.
func convert(k ConfigKey, s string) (any, string) {
	switch k.Type {
	case KeyInt:
		i, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 0, 64)
		if err != nil {
			return nil, "must be an int, got " + describe(k, s)
		}
		return i, ""
	case KeyBool:
		switch strings.ToLower(s) {
		case "true", "yes", "on":
			return true, ""
		case "false", "no", "off":
			return false, ""
		}
		return nil, "must be true or false, got " + describe(k, s)
	case KeyDuration:
		if _, err := time.ParseDuration(s); err != nil {
			return nil, `must be a duration like "30s" or "5m", got ` + describe(k, s)
		}
		return s, ""
	case KeyList:
		return nil, "must be a list of strings, got " + describe(k, s)
	}
	return s, ""
}

func wholeNumber(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case uint64:
		if n <= math.MaxInt64 {
			return int64(n), true
		}
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<53 {
			return int64(n), true
		}
	}
	return 0, false
}

// describe quotes a value for a message, except a secret key's, which is only named by kind.
func describe(k ConfigKey, v any) string {
	kind := "a single value"
	switch v.(type) {
	case map[string]any:
		return "a mapping"
	case []any, []string:
		return "a list"
	case string:
		kind = "a string"
	case bool:
		kind = "true or false"
	case int, int64, uint64, float64:
		kind = "a number"
	}
	if k.Secret {
		return kind + " (not shown: the key is secret)"
	}
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// suggestKey names the declared key closest to a misspelt one, or lists them all.
func suggestKey(name string, keys []ConfigKey) string {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Name
	}
	if best := ClosestName(name, names); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	sort.Strings(names)
	return " (this provider's keys: " + strings.Join(names, ", ") + ")"
}
