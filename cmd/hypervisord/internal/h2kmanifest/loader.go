package h2kmanifest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// The loader's vocabularies, printed in its messages as Python lists.
var (
	supportedVersions      = []any{"1.0"}
	supportedSourceFormats = []any{"vmdk", "qcow2", "raw", "vhd", "vhdx", "vdi"}
	supportedOutputFormats = []any{"qcow2", "raw", "vdi"}
	diskIDPattern          = regexp.MustCompile(`^[a-zA-Z0-9_-]+$`)
	checksumPattern        = regexp.MustCompile(`^sha256:[a-f0-9]{64}$`)
)

// ValidationError is a broken rule, worded as hyper2kvm words it.
type ValidationError struct{ Msg string }

func (e *ValidationError) Error() string { return e.Msg }

func invalid(format string, args ...any) error {
	return &ValidationError{Msg: fmt.Sprintf(format, args...)}
}

// CheckLoader applies hyper2kvm's ManifestLoader rules (manifest_version, disks[], vm) to a
// decoded document, in the loader's order, and returns the first broken rule. It does not
// read the disks (VerifyChecksums does) but does require that each local_path exists.
func CheckLoader(doc any) (*Manifest, error) {
	root, ok := doc.(map[string]any)
	if !ok {
		return nil, invalid("Manifest must be a JSON object")
	}
	version := root["manifest_version"]
	if !truthy(version) {
		return nil, invalid("Missing required field: manifest_version. This is an Artifact Manifest v1. Expected versions: %s", pyRepr(supportedVersions))
	}
	if !contains(supportedVersions, version) {
		return nil, invalid("Unsupported manifest version: %s. This hyper2kvm version supports: %s", pyStr(version), pyRepr(supportedVersions))
	}
	raw, present := root["disks"]
	if !present {
		return nil, invalid("Missing required field: disks[]. Artifact Manifest v1 requires at least one disk.")
	}
	list, ok := raw.([]any)
	if !ok {
		return nil, invalid("Field 'disks' must be an array")
	}
	if len(list) == 0 {
		return nil, invalid("Field 'disks' must contain at least one disk")
	}
	m := &Manifest{Doc: root}
	seen := map[string]bool{}
	for i, item := range list {
		d, err := checkDisk(i, item, seen)
		if err != nil {
			return nil, err
		}
		m.Disks = append(m.Disks, d)
	}
	if vm, present := root["vm"]; present {
		if err := checkVM(vm); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func checkDisk(i int, item any, seen map[string]bool) (Disk, error) {
	disk, ok := item.(map[string]any)
	if !ok {
		return Disk{}, invalid("disks[%d] must be an object", i)
	}
	for _, field := range []string{"id", "source_format", "bytes", "local_path"} {
		if _, present := disk[field]; !present {
			return Disk{}, invalid("disks[%d].%s is required", i, field)
		}
	}
	id, ok := disk["id"].(string)
	if !ok {
		if _, hashable := disk["id"].([]any); hashable {
			return Disk{}, invalid("unhashable type: 'list'")
		}
		if _, hashable := disk["id"].(map[string]any); hashable {
			return Disk{}, invalid("unhashable type: 'dict'")
		}
		if seen[pyRepr(disk["id"])] {
			return Disk{}, invalid("Duplicate disk ID: %s", pyStr(disk["id"]))
		}
		return Disk{}, invalid("expected string or bytes-like object, got '%s'", pyType(disk["id"]))
	}
	if seen[reprString(id)] {
		return Disk{}, invalid("Duplicate disk ID: %s", id)
	}
	seen[reprString(id)] = true
	if !diskIDPattern.MatchString(id) {
		return Disk{}, invalid("disks[%d].id must match pattern: ^[a-zA-Z0-9_-]+$ (got: %s)", i, reprString(id))
	}
	if !contains(supportedSourceFormats, disk["source_format"]) {
		return Disk{}, invalid("disks[%d].source_format unsupported: %s. Supported: %s", i, pyStr(disk["source_format"]), pyRepr(supportedSourceFormats))
	}
	size, ok := asInt(disk["bytes"])
	if !ok || size < 0 {
		return Disk{}, invalid("disks[%d].bytes must be a non-negative integer", i)
	}
	lp, ok := disk["local_path"].(string)
	if !ok {
		return Disk{}, invalid("expected str, bytes or os.PathLike object, not %s", pyType(disk["local_path"]))
	}
	local := resolve(lp)
	if _, err := os.Stat(local); err != nil {
		return Disk{}, invalid("disks[%d].local_path not found: %s", i, local)
	}
	d := Disk{ID: id, SourceFormat: disk["source_format"].(string), Bytes: size, LocalPath: local,
		BootOrderHint: DefaultBootOrderHint, Label: id, DiskType: "unknown"}
	if sum, present := disk["checksum"]; present {
		s, ok := sum.(string)
		if !ok {
			return Disk{}, invalid("expected string or bytes-like object, got '%s'", pyType(sum))
		}
		if !checksumPattern.MatchString(s) {
			return Disk{}, invalid("disks[%d].checksum must match format: sha256:<hexdigest> (got: %s)", i, reprString(s))
		}
		d.Checksum = s
	}
	if hint, present := disk["boot_order_hint"]; present {
		n, ok := asInt(hint)
		if !ok || n < 0 {
			return Disk{}, invalid("disks[%d].boot_order_hint must be a non-negative integer", i)
		}
		d.BootOrderHint = n
	}
	if t, present := disk["disk_type"]; present {
		if !contains([]any{"boot", "data", "unknown"}, t) {
			return Disk{}, invalid("disks[%d].disk_type must be one of: boot, data, unknown", i)
		}
		d.DiskType = t.(string)
	}
	if label, ok := disk["label"].(string); ok {
		d.Label = label
	}
	return d, nil
}

func checkVM(raw any) error {
	vm, ok := raw.(map[string]any)
	if !ok {
		return invalid("Field 'vm' must be an object")
	}
	if fw, present := vm["firmware"]; present && !contains([]any{"bios", "uefi", "unknown"}, fw) {
		return invalid("vm.firmware must be one of: bios, uefi, unknown (got: %s)", pyRepr(fw))
	}
	if sb, present := vm["secureboot"]; present {
		if _, ok := sb.(bool); !ok {
			return invalid("vm.secureboot must be a boolean")
		}
	}
	if cpu, present := vm["cpu"]; present {
		if n, ok := asInt(cpu); !ok || n < 1 {
			return invalid("vm.cpu must be an integer >= 1")
		}
	}
	if mem, present := vm["mem_gb"]; present {
		if n, ok := asInt(mem); !ok || n < 1 {
			return invalid("vm.mem_gb must be an integer >= 1")
		}
	}
	// Not checked by the 0.2.0 loader; HYPER2KVM.md lists the values, and we must write one of them.
	if os, present := vm["os_hint"]; present && !contains([]any{"linux", "windows", "unknown"}, os) {
		return invalid("vm.os_hint must be one of: linux, windows, unknown (got: %s)", pyRepr(os))
	}
	return nil
}

// contains is Python's `v in list` for a list of strings: only an equal string matches.
func contains(list []any, v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// resolve is pathlib's expanduser().resolve(): absolute, symbolic links followed where they exist.
func resolve(p string) string {
	if p == "~" || len(p) > 1 && p[:2] == "~/" {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[1:])
		}
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	return abs
}

// IsValidation reports whether err is a broken manifest rule (rather than, say, an I/O error).
func IsValidation(err error) bool {
	var v *ValidationError
	return errors.As(err, &v)
}
