package main

import (
	"github.com/hypersdk/hypersdk/sdk/providertest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The shipped systemd units must pass systemd-analyze verify with no complaint. verify checks
// that ExecStart programs exist, so the units are checked with /usr/local/bin pointed at a
// folder holding the real hypervisord and a stand-in hyper2kvm (a separate project).
func TestSystemdUnitsVerify(t *testing.T) {
	t.Parallel()
	analyze := providertest.NeedTool(t, "systemd-analyze", "Debian package systemd")
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.MkdirAll(bin, 0o755)
	if err := os.Symlink(daemonBin, filepath.Join(bin, "hypervisord")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(bin, "hyper2kvm"), []byte("#!/bin/sh\n"), 0o755)
	units := map[string]string{"hypervisord.service": "hypervisord.service", "hyper2kvm@.service": "hyper2kvm@vsphere.service"}
	for src, dst := range units {
		raw, err := os.ReadFile(filepath.Join("../../deploy/systemd", src))
		if err != nil {
			t.Fatal(err)
		}
		unit := strings.ReplaceAll(string(raw), "/usr/local/bin/", bin+"/")
		os.WriteFile(filepath.Join(dir, dst), []byte(unit), 0o644)
		out, err := exec.Command(analyze, "verify", filepath.Join(dir, dst)).CombinedOutput()
		if err != nil || len(strings.TrimSpace(string(out))) > 0 {
			t.Errorf("systemd-analyze verify %s: %v\n%s", src, err, out)
		}
	}
}
