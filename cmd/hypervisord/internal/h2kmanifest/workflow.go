package h2kmanifest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// SourceTypes are the pipeline.load.source_type values hyper2kvm's workflow daemon maps to an
// operation (vmdk, vhd, vhdx, raw → local; ova; ovf; ami).
var SourceTypes = []string{"vmdk", "ova", "ovf", "vhd", "vhdx", "raw", "ami"}

// CheckLoad applies the workflow daemon's own rule, which runs before the loader:
// pipeline.load.source_type names a known operation ("Unknown source_type in manifest: <v>",
// lower-cased, empty when missing) and — stricter than hyper2kvm, which fails later and less
// clearly — pipeline.load.source_path is given and exists.
func CheckLoad(doc any) (sourceType, sourcePath string, err error) {
	load, err := pyGet(doc, "pipeline", "load")
	if err != nil {
		return "", "", err
	}
	st, err := pyGetDefault(load, "source_type", "")
	if err != nil {
		return "", "", err
	}
	s, ok := st.(string)
	if !ok {
		return "", "", invalid("'%s' object has no attribute 'lower'", pyType(st))
	}
	sourceType = strings.ToLower(s)
	known := false
	for _, t := range SourceTypes {
		known = known || t == sourceType
	}
	if !known {
		return "", "", invalid("Unknown source_type in manifest: %s", sourceType)
	}
	sp, err := pyGetDefault(load, "source_path", "")
	if err != nil {
		return "", "", err
	}
	p, ok := sp.(string)
	if !ok || p == "" {
		return "", "", invalid("pipeline.load.source_path is required for source_type %s", sourceType)
	}
	sourcePath = resolve(p)
	if _, err := os.Stat(sourcePath); err != nil {
		return "", "", invalid("pipeline.load.source_path not found: %s", sourcePath)
	}
	return sourceType, sourcePath, nil
}

// pyGet is manifest.get(k1, {}).get(k2, {})…, failing as Python does when a level is not a dict.
func pyGet(doc any, keys ...string) (any, error) {
	cur := doc
	for _, k := range keys {
		v, err := pyGetDefault(cur, k, map[string]any{})
		if err != nil {
			return nil, err
		}
		cur = v
	}
	return cur, nil
}

func pyGetDefault(v any, key string, def any) (any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, invalid("'%s' object has no attribute 'get'", pyType(v))
	}
	if got, present := m[key]; present {
		return got, nil
	}
	return def, nil
}

// checkOutput reads output{directory, format}. The 0.2.0 loader declares the formats but does not
// check them; the stand-in does, in the loader's wording.
func checkOutput(m *Manifest) error {
	m.OutputFormat = "qcow2"
	raw, present := m.Doc["output"]
	if !present {
		return nil
	}
	out, ok := raw.(map[string]any)
	if !ok {
		return invalid("Field 'output' must be an object")
	}
	if f, present := out["format"]; present {
		if !contains(supportedOutputFormats, f) {
			return invalid("output.format unsupported: %s. Supported: %s", pyStr(f), pyRepr(supportedOutputFormats))
		}
		m.OutputFormat = f.(string)
	}
	if d, present := out["directory"]; present {
		s, ok := d.(string)
		if !ok {
			return invalid("expected str, bytes or os.PathLike object, not %s", pyType(d))
		}
		m.OutputDir = resolve(s)
	}
	return nil
}

// VerifyChecksums hashes every disk that has a checksum, as hyper2kvm does before converting.
func VerifyChecksums(m *Manifest) error {
	for _, d := range m.Disks {
		if d.Checksum == "" {
			continue
		}
		f, err := os.Open(d.LocalPath)
		if err != nil {
			return fmt.Errorf("open disk %s: %w", d.ID, err)
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("read disk %s: %w", d.ID, err)
		}
		if "sha256:"+hex.EncodeToString(h.Sum(nil)) != d.Checksum {
			return invalid("Checksum verification failed for disk %s", d.ID)
		}
	}
	return nil
}

// Validate checks a manifest file by every rule hyper2kvm's manifest workflow applies, in its
// order, and returns the manifest or the first broken rule with hyper2kvm's message. Tests that
// write manifests (hypervisord's daemon-mode hand-off) call it to check their output without
// running the stand-in; the stand-in calls it on every manifest it picks up.
func Validate(path string) (*Manifest, error) {
	doc, err := Decode(path)
	if err != nil {
		return nil, err
	}
	return ValidateDoc(path, doc)
}

// ValidateDoc is Validate on an already decoded document read from path.
func ValidateDoc(path string, doc any) (*Manifest, error) {
	sourceType, sourcePath, err := CheckLoad(doc)
	if err != nil {
		return nil, err
	}
	m, err := CheckLoader(doc)
	if err != nil {
		return nil, err
	}
	m.Path, m.SourceType, m.SourcePath = resolve(path), sourceType, sourcePath
	if err := checkOutput(m); err != nil {
		return nil, err
	}
	if err := VerifyChecksums(m); err != nil {
		return nil, err
	}
	return m, nil
}
