package vsphere

import (
	"fmt"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Settings is the providers.vsphere section of the daemon configuration.
type Settings struct {
	Host               string `json:"host"`
	Username           string `json:"username"`
	Password           string `json:"password"`
	Insecure           bool   `json:"insecure"`
	Thumbprint         string `json:"thumbprint"`
	CAFile             string `json:"ca_file"`
	ConnectionPoolSize int    `json:"connection_pool_size"`
	// ShutdownTimeout bounds a guest shutdown for shutdown_vm before the VM is powered off.
	ShutdownTimeout string `json:"shutdown_timeout"`
	// DownloadWorkers is how many disks download at once.
	DownloadWorkers int `json:"download_workers"`

	// Simulator starts an embedded vCenter simulator serving real disks instead of connecting to Host.
	Simulator       bool  `json:"simulator"`
	SimulatorVMs    int   `json:"simulator_vms"`
	SimulatorDiskMB int64 `json:"simulator_disk_mb"`
	// SimulatorNamePrefix names the simulated VMs <prefix>001…; empty keeps DC0_C0_RP0_VM0….
	SimulatorNamePrefix string `json:"simulator_name_prefix"`
}

func defaultSettings() Settings {
	return Settings{ConnectionPoolSize: 2, ShutdownTimeout: "5m", DownloadWorkers: 4, SimulatorVMs: 4, SimulatorDiskMB: 64}
}

func (s Settings) validate() (shutdown time.Duration, err error) {
	bad := func(format string, args ...any) (time.Duration, error) {
		return 0, fmt.Errorf("%w: providers.vsphere.%s", provider.ErrInvalidArgument, fmt.Sprintf(format, args...))
	}
	if !s.Simulator && s.Host == "" {
		return bad("host is required (or set simulator: true)")
	}
	if s.ConnectionPoolSize < 1 || s.ConnectionPoolSize > 64 {
		return bad("connection_pool_size must be 1-64, got %d", s.ConnectionPoolSize)
	}
	if s.DownloadWorkers < 1 || s.DownloadWorkers > 32 {
		return bad("download_workers must be 1-32, got %d", s.DownloadWorkers)
	}
	if s.Simulator && (s.SimulatorVMs < 1 || s.SimulatorDiskMB < 1) {
		return bad("simulator_vms and simulator_disk_mb must be >= 1")
	}
	d, err := time.ParseDuration(s.ShutdownTimeout)
	if err != nil || d <= 0 {
		return bad("shutdown_timeout must be a positive duration like \"5m\", got %q", s.ShutdownTimeout)
	}
	return d, nil
}
