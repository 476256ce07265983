package provider

import (
	"encoding/json"
	"fmt"
)

// Config is the provider's section of the daemon configuration, as JSON.
type Config struct {
	raw json.RawMessage
}

// NewConfig wraps a settings map (the host side) or raw JSON (the plugin side).
func NewConfig(settings map[string]any) (Config, error) {
	raw, err := json.Marshal(settings)
	if err != nil {
		return Config{}, fmt.Errorf("encode provider settings: %w", err)
	}
	return Config{raw: raw}, nil
}

// ConfigFromJSON wraps JSON received over the wire.
func ConfigFromJSON(raw []byte) Config { return Config{raw: raw} }

// JSON returns the settings as JSON.
func (c Config) JSON() []byte { return c.raw }

// Decode unmarshals the settings into v, a pointer to the provider's own settings struct.
// Unknown keys are an error naming the key, so a typo in the daemon's config is caught at start.
func (c Config) Decode(v any) error {
	if len(c.raw) == 0 || string(c.raw) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytesReader(c.raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: provider settings: %v", ErrInvalidArgument, err)
	}
	return nil
}
