// Package handoff gives an export to the hyper2kvm conversion daemon the way its systemd unit
// expects (hyper2kvm@<instance>.service watching <watch_dir>/<instance>): one JSON manifest per
// export, written under a temporary name and renamed into place so the watcher never reads a
// half-written file.
package handoff

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Manifest describes one export for hyper2kvm.
type Manifest struct {
	Version     int         `json:"manifest_version"`
	JobID       string      `json:"job_id"`
	VMName      string      `json:"vm_name"`
	Provider    string      `json:"provider"`
	Source      string      `json:"source"` // the .ova, .ovf or .vmdk to convert
	ExportDir   string      `json:"export_dir"`
	Format      string      `json:"format"`
	Compression bool        `json:"compression"`
	OutputDir   string      `json:"output_dir"`
	VM          provider.VM `json:"vm"`
	Disks       []Disk      `json:"disks"`
	Producer    string      `json:"producer"`
	CreatedAt   time.Time   `json:"created_at"`
}

// Disk is one file of the export, as the daemon verified it.
type Disk struct {
	Path   string `json:"path"`
	Format string `json:"format"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Service states as systemctl is-active prints them, plus unknown when it cannot be asked.
const (
	Active  = "active"
	Unknown = "unknown"
)

var instanceName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Unit is the systemd unit of an instance.
func Unit(instance string) string { return "hyper2kvm@" + instance + ".service" }

// ServiceState asks systemd whether hyper2kvm@<instance> runs.
func ServiceState(ctx context.Context, systemctl, instance string) string {
	if systemctl == "" || !instanceName.MatchString(instance) {
		return Unknown
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, systemctl, "is-active", Unit(instance)).Output()
	if s := strings.TrimSpace(string(out)); s != "" {
		return s
	}
	return Unknown
}

// Write puts m into <watchDir>/<instance>/<job id>.json and returns the path.
func Write(watchDir, instance string, m Manifest) (string, error) {
	if !instanceName.MatchString(instance) {
		return "", fmt.Errorf("%w: hyper2kvm instance %q must be letters, digits, '.', '-' or '_'", provider.ErrInvalidArgument, instance)
	}
	dir := filepath.Join(watchDir, instance)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	m.Version = 1
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now().UTC()
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", err
	}
	final := filepath.Join(dir, m.JobID+".json")
	tmp := filepath.Join(dir, "."+m.JobID+".json.tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(raw); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return final, diskfile.Rename(tmp, final)
}

// Result is what hyper2kvm writes beside a manifest when it is done with it:
// <watch_dir>/<instance>/<job id>.result.json.
type Result struct {
	Status  string   `json:"status"` // completed or failed
	Error   string   `json:"error,omitempty"`
	Outputs []string `json:"outputs,omitempty"`
}

// ResultPath is where hyper2kvm answers the manifest at manifestPath.
func ResultPath(manifestPath string) string {
	return strings.TrimSuffix(manifestPath, ".json") + ".result.json"
}

// ReadResult returns hyper2kvm's answer to a manifest, and false while there is none yet.
func ReadResult(manifestPath string) (Result, bool, error) {
	raw, err := os.ReadFile(ResultPath(manifestPath))
	if os.IsNotExist(err) {
		return Result{}, false, nil
	}
	if err != nil {
		return Result{}, false, err
	}
	var r Result
	if err := json.Unmarshal(raw, &r); err != nil {
		return Result{}, true, fmt.Errorf("hyper2kvm result %s is not JSON: %w", ResultPath(manifestPath), err)
	}
	return r, true, nil
}
