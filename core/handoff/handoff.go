// Package handoff gives an export to hyper2kvm's manifest workflow daemon (hyper2kvm 0.2,
// `hyper2kvm daemon --manifest-workflow-mode`, run as hyper2kvm@<instance>.service on
// <watch_dir>/<instance>) and follows what becomes of it.
//
// The workflow directory has four folders. hypervisord writes an Artifact Manifest v1.0 (Build)
// into to_be_processed/<job id>.json (Submit: written beside the folder, synced, renamed in);
// hyper2kvm moves it to processing/ while it converts, then to processed/<date>/ with a
// <name>.report.json, or to failed/<date>/ with a <name>.error.json. Locate reads which of these
// is true now; core/jobs records it in the job.
package handoff

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Service states as systemctl is-active prints them, plus unknown when it cannot be asked.
const (
	Active  = "active"
	Unknown = "unknown"
)

var instanceName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Unit is the systemd unit of an instance.
func Unit(instance string) string { return "hyper2kvm@" + instance + ".service" }

// WorkflowDir is the manifest workflow directory of an instance: <watch_dir>/<instance>, the
// --manifest-workflow-dir of hyper2kvm@<instance>.service.
func WorkflowDir(watchDir, instance string) (string, error) {
	if err := CheckInstance(instance); err != nil {
		return "", err
	}
	return filepath.Join(watchDir, instance), nil
}

// CheckInstance says whether instance can name a hyper2kvm@<instance> unit and its folder
// under watch_dir.
func CheckInstance(instance string) error {
	if !instanceName.MatchString(instance) || instance == "." || instance == ".." {
		return fmt.Errorf("%w: hyper2kvm instance %q must be 1-64 letters, digits, '.', '-' or '_'", provider.ErrInvalidArgument, instance)
	}
	return nil
}

// ServiceState asks systemd whether hyper2kvm@<instance> runs.
func ServiceState(ctx context.Context, systemctl, instance string) string {
	if systemctl == "" || CheckInstance(instance) != nil {
		return Unknown
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	// is-active exits non-zero for every state but active and still prints the state.
	out, _ := exec.CommandContext(ctx, systemctl, "is-active", Unit(instance)).Output()
	if s := strings.TrimSpace(string(out)); s != "" {
		return s
	}
	return Unknown
}
