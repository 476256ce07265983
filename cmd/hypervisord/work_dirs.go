package main

import (
	"fmt"
	"os"

	"github.com/hypersdk/hypersdk/core/config"
	"github.com/hypersdk/hypersdk/core/logging"
	"github.com/hypersdk/hypersdk/core/pipeline"
)

// makeWorkDirs creates hyper2kvm.output_dir and export.base_path before the database is opened,
// output_dir first: os.MkdirAll gives every folder it creates one mode, so a parent the three
// share (./var in the demo) takes output_dir's searchable 0711 rather than the 0750 of
// whichever came first, and libvirt's QEMU user can reach the imported disks below it. A folder
// that exists keeps its mode; one QEMU still cannot search is warned about.
func makeWorkDirs(cfg config.Config, log logging.Logger) error {
	dirs := []struct {
		key, path string
		mode      os.FileMode
	}{
		{"hyper2kvm.output_dir", cfg.Hyper2KVM.OutputDir, pipeline.OutputDirMode},
		{"export.base_path", cfg.Export.BasePath, 0o750},
	}
	for _, d := range dirs {
		if err := os.MkdirAll(d.path, d.mode); err != nil {
			return fmt.Errorf("%s: %w", d.key, err)
		}
	}
	if closed, err := qemuCannotSearch(cfg.Hyper2KVM.OutputDir); closed != "" || err != nil {
		log.Warn("libvirt's QEMU, run as its own user (the default), cannot reach the disks of imported VMs: they would not start (chmod o+x the directory)",
			"hyper2kvm.output_dir", cfg.Hyper2KVM.OutputDir, "not_searchable", closed, "error", err)
	}
	return nil
}
