package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/hypersdk/hypersdk/core/buildinfo"
	"github.com/hypersdk/hypersdk/core/config"
	"github.com/hypersdk/hypersdk/core/domainxml"
	"github.com/hypersdk/hypersdk/core/jobs"
	"github.com/hypersdk/hypersdk/core/kvm"
	"github.com/hypersdk/hypersdk/core/metrics"
	"github.com/hypersdk/hypersdk/core/pluginhost"
)

// kvmConfig gathers what the conversion, import and hand-off stages need.
func kvmConfig(cfg config.Config) jobs.KVMConfig {
	domainType := cfg.Libvirt.DomainType
	if domainType == "auto" {
		domainType = "qemu"
		if _, err := os.Stat("/dev/kvm"); err == nil {
			domainType = "kvm"
		}
	}
	qemuImg, _ := exec.LookPath("qemu-img")
	hyper2kvm := ""
	if st, err := os.Stat(cfg.Hyper2KVM.Path); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
		hyper2kvm = cfg.Hyper2KVM.Path
	}
	systemctl, _ := exec.LookPath("systemctl")
	return jobs.KVMConfig{
		QemuImg: qemuImg, OutputDir: cfg.Hyper2KVM.OutputDir, DefaultFormat: cfg.Hyper2KVM.DefaultFormat,
		Compression: cfg.Hyper2KVM.Compression, Libvirt: kvm.Config{Socket: cfg.Libvirt.Socket, URI: cfg.Libvirt.URI},
		DomainType: domainType, NVRAMDir: cfg.Libvirt.NVRAMDir, Network: cfg.Libvirt.Network,
		Firmware: domainxml.DebianOVMF, WatchDir: cfg.Hyper2KVM.WatchDir, Systemctl: systemctl, Version: buildinfo.Version,
		PollInterval: cfg.Hyper2KVM.PollInterval.Std(), Hyper2KVM: hyper2kvm,
	}
}

// tlsConfig loads the server certificate and, for mTLS, the client CA.
func tlsConfig(c config.TLS) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("daemon.tls: %w", err)
	}
	out := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if c.ClientCAFile != "" {
		pem, err := os.ReadFile(c.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("daemon.tls.client_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("daemon.tls.client_ca_file: no certificate in %s", c.ClientCAFile)
		}
		out.ClientCAs, out.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return out, nil
}

// registerStateMetrics exposes job and plugin states, read at scrape time.
func registerStateMetrics(manager *jobs.Manager, plugins *pluginhost.Host) {
	metrics.Registry.MustRegister(
		metrics.NewStateCollector("hypersdk_jobs", "Jobs by state.", "state", manager.CountByStatus),
		metrics.NewHoldsCollector(manager.UnreleasedHolds),
		metrics.NewStateCollector("hypersdk_plugin_ready", "1 when the provider plugin answers calls.", "plugin", func() map[string]float64 {
			out := map[string]float64{}
			for _, s := range plugins.Statuses() {
				out[s.Name] = 0
				if s.State == pluginhost.StateReady {
					out[s.Name] = 1
				}
			}
			return out
		}),
		metrics.NewStateCollector("hypersdk_plugin_restarts", "Restarts of each provider plugin since the daemon started.", "plugin", func() map[string]float64 {
			out := map[string]float64{}
			for _, s := range plugins.Statuses() {
				out[s.Name] = float64(s.Restarts)
			}
			return out
		}),
		metrics.NewStateCollector("hypersdk_cluster_node", "1 for this daemon's node id (database.backend etcd; absent on a single daemon).", "node", func() map[string]float64 {
			if id := manager.NodeID(); id != "" {
				return map[string]float64{id: 1}
			}
			return nil
		}),
		metrics.NewStateCollector("hypersdk_cluster_node_running_jobs", "Jobs each live node of the cluster runs (database.backend etcd).", "node", func() map[string]float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			nodes, err := manager.ClusterNodes(ctx)
			if err != nil {
				return nil
			}
			out := map[string]float64{}
			for _, n := range nodes {
				out[n.ID] = float64(n.Running)
			}
			return out
		}),
	)
}
