package config

import "time"

// Duration is a time.Duration written in YAML as Go duration text ("5s", "2h", "1h30m").
type Duration time.Duration

// Std returns the value as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats the duration as it would be written in the file.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText lets JSON and YAML encoders show the duration as text.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
