package provider

// Types a ConfigKey can have, as they appear in YAML.
const (
	KeyString   = "string"
	KeyInt      = "int"
	KeyBool     = "bool"
	KeyDuration = "duration" // a Go duration string: "90s", "5m"
	KeyList     = "list"     // a list of strings
)

// ConfigKey declares one key of a provider's configuration section.
type ConfigKey struct {
	Name     string
	Type     string
	Required bool
	// Default is the value used when the key is absent, as YAML would spell it; shown in docs.
	Default string
	// Secret keys (passwords, tokens, keys) are redacted wherever the host shows settings.
	Secret      bool
	Description string
}
