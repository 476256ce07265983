package config

import "github.com/hypersdk/hypersdk/sdk/provider"

// CheckProviderSettings checks the section providers.<instance> against the keys its plugin
// declares in Info.Config, once the plugin has told them (the daemon cannot know them before it
// runs the plugin). Problems name their full key path, like every other configuration error;
// the settings come back with each value in its declared type (see provider.CheckSettings).
// A plugin that declares no keys gets its section unchecked.
func CheckProviderSettings(instance string, keys []provider.ConfigKey, settings map[string]any) (map[string]any, []Problem) {
	out, errs := provider.CheckSettings(keys, settings)
	problems := make([]Problem, len(errs))
	for i, e := range errs {
		problems[i] = Problem{Path: "providers." + instance + "." + e.Key, Message: e.Message}
	}
	return out, problems
}

// RedactProviderSettings returns a copy of a provider's settings safe to show: the keys its
// schema marks Secret are redacted, and keys the schema does not declare fall back to the
// name rule of RedactSettings. Without a schema it is RedactSettings.
func RedactProviderSettings(keys []provider.ConfigKey, settings map[string]any) map[string]any {
	if len(keys) == 0 {
		return RedactSettings(settings)
	}
	declared := make(map[string]provider.ConfigKey, len(keys))
	for _, k := range keys {
		declared[k.Name] = k
	}
	undeclared := map[string]any{}
	out := make(map[string]any, len(settings))
	for name, v := range settings {
		k, ok := declared[name]
		switch {
		case !ok:
			undeclared[name] = v
		case k.Secret && v != nil && v != "":
			out[name] = Redacted
		default:
			out[name] = v
		}
	}
	for name, v := range RedactSettings(undeclared) {
		out[name] = v
	}
	return out
}
