package main

import (
	"os/exec"

	"github.com/hypersdk/hypersdk/core/config"
	"github.com/hypersdk/hypersdk/core/handoff"
)

// hyper2kvmHost is what /capabilities reports of the hand-off: hyper2kvm at hyper2kvm.path, and
// the hyper2kvm@<instance> services of the providers' names (a job's default instance) and of
// every workflow directory under hyper2kvm.watch_dir.
func hyper2kvmHost(cfg config.Config) handoff.Host {
	systemctl, _ := exec.LookPath("systemctl")
	return handoff.Host{Path: cfg.Hyper2KVM.Path, WatchDir: cfg.Hyper2KVM.WatchDir, OutputDir: cfg.Hyper2KVM.OutputDir,
		Systemctl: systemctl, Instances: cfg.EnabledProviders()}
}
