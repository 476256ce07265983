package h2kmanifest

import "path/filepath"

// Manifest is an Artifact Manifest v1.0 that passed the rules, with what a consumer needs.
type Manifest struct {
	Path         string         // the manifest file, absolute
	Doc          map[string]any // the whole decoded document; unknown keys are kept, as hyper2kvm keeps them
	Disks        []Disk         // in the manifest's order
	SourceType   string         // pipeline.load.source_type, lower-cased
	SourcePath   string         // pipeline.load.source_path, absolute
	OutputDir    string         // output.directory, absolute; "" when the manifest names none
	OutputFormat string         // output.format, qcow2 when absent
}

// Disk is one entry of disks[].
type Disk struct {
	ID            string
	SourceFormat  string
	Bytes         int64
	LocalPath     string // absolute, existing
	Checksum      string // "sha256:<hex>" or ""
	BootOrderHint int64  // 999 when absent, as in hyper2kvm
	Label         string // the id when absent
	DiskType      string // boot, data or unknown (the default)
}

// DefaultBootOrderHint is what hyper2kvm assumes for a disk without boot_order_hint.
const DefaultBootOrderHint = 999

// BootDisk is the disk hyper2kvm boots and fixes: the lowest boot_order_hint, the first such in
// the manifest's order on a tie (Python's sort is stable).
func (m *Manifest) BootDisk() Disk {
	best := m.Disks[0]
	for _, d := range m.Disks[1:] {
		if d.BootOrderHint < best.BootOrderHint {
			best = d
		}
	}
	return best
}

// StageEnabled is hyper2kvm's is_stage_enabled: pipeline.<stage>.enabled, false when absent — a
// manifest that does not enable convert converts nothing.
func (m *Manifest) StageEnabled(stage string) bool {
	p, _ := m.Doc["pipeline"].(map[string]any)
	s, _ := p[stage].(map[string]any)
	on, _ := s["enabled"].(bool)
	return on
}

// StageOption returns pipeline.<stage>.<key> (e.g. convert.compress), nil when absent.
func (m *Manifest) StageOption(stage, key string) any {
	p, _ := m.Doc["pipeline"].(map[string]any)
	s, _ := p[stage].(map[string]any)
	return s[key]
}

// Stem is the manifest's file name without its extension: hyper2kvm's job id for it.
func (m *Manifest) Stem() string {
	base := filepath.Base(m.Path)
	return base[:len(base)-len(filepath.Ext(base))]
}
