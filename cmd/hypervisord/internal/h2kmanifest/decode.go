package h2kmanifest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
)

// Decode reads a manifest file as hyper2kvm's workflow daemon does: .json as JSON, anything else
// (.yaml, .yml) as YAML. Numbers from JSON stay json.Number so that 1 and 1.0 remain different,
// as they are in Python.
func Decode(path string) (any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		return decodeJSON(data)
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("invalid YAML in manifest: %w", err)
	}
	return doc, nil
}

func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("Invalid JSON in manifest: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("Invalid JSON in manifest: Extra data after the top-level value")
	}
	return doc, nil
}
