package hyperv

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Settings is the providers.hyperv section of the daemon configuration.
type Settings struct {
	// Host is the Hyper-V host (or a cluster's management address) that WinRM and SMB reach.
	Host string `json:"host"`
	// Cluster, when set, lists the VMs of every node of this failover cluster.
	Cluster            string `json:"cluster"`
	WinRMEndpoint      string `json:"winrm_endpoint"`
	WinRMAuth          string `json:"winrm_auth"`
	Username           string `json:"username"`
	Password           string `json:"password"`
	Domain             string `json:"domain"`
	InsecureSkipVerify bool   `json:"insecure_skip_verify"`
	CACertPath         string `json:"ca_cert_path"`
	// ExportShare is the dedicated read-only share over ExportPath the disks are read from.
	ExportShare      string `json:"export_share"`
	ExportPath       string `json:"export_path"`
	SMBAddress       string `json:"smb_address"`
	DownloadWorkers  int    `json:"download_workers"`
	ChunkSizeMB      int    `json:"chunk_size_mb"`
	PageSize         int    `json:"page_size"`
	PollInterval     string `json:"poll_interval"`
	OperationTimeout string `json:"operation_timeout"`
}

func defaultSettings() Settings {
	return Settings{WinRMAuth: "ntlm", DownloadWorkers: 8, ChunkSizeMB: 8, PageSize: 100, PollInterval: "5s", OperationTimeout: "60s"}
}

// tuned is what validate derives from Settings.
type tuned struct {
	endpoint         string
	smbAddr          string
	caCert           []byte
	pollInterval     time.Duration
	operationTimeout time.Duration
}

var (
	adminShareRE = regexp.MustCompile(`^(?i)([a-z]\$|admin\$|ipc\$)$`)
	winPathRE    = regexp.MustCompile(`^([A-Za-z]:\\|\\\\[^\\]+\\[^\\]+)`)
	shareNameRE  = regexp.MustCompile(`^[^\\/:*?"<>|]{1,80}$`)
)

func (s Settings) validate() (tuned, error) {
	var t tuned
	bad := func(format string, args ...any) (tuned, error) {
		return t, fmt.Errorf("%w: providers.hyperv.%s", provider.ErrInvalidArgument, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(s.Host) == "" {
		return bad("host is required")
	}
	if s.Username == "" {
		return bad("username is required")
	}
	if s.Password == "" {
		return bad("password is required (write it as ${ENV_VAR})")
	}
	if s.WinRMAuth != "basic" && s.WinRMAuth != "ntlm" {
		return bad("winrm_auth must be basic or ntlm, got %q", s.WinRMAuth)
	}
	t.endpoint = s.WinRMEndpoint
	if t.endpoint == "" {
		t.endpoint = "https://" + net.JoinHostPort(s.Host, "5986") + "/wsman"
	}
	u, err := url.Parse(t.endpoint)
	if err != nil || u.Hostname() == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return bad("winrm_endpoint %q is not an http(s) URL like https://host:5986/wsman", t.endpoint)
	}
	if u.Scheme == "http" && s.WinRMAuth == "basic" && !loopback(u.Hostname()) {
		return bad("winrm_endpoint %q: basic auth over plain http would send the password in the clear; use https, or winrm_auth ntlm (messages encrypted)", t.endpoint)
	}
	if s.CACertPath != "" {
		if t.caCert, err = os.ReadFile(s.CACertPath); err != nil {
			return bad("ca_cert_path: %v", err)
		}
	}
	switch {
	case s.ExportShare == "":
		return bad("export_share is required: a dedicated read-only share over export_path")
	case adminShareRE.MatchString(s.ExportShare):
		return bad("export_share %q is an administrative share; create a dedicated read-only one (New-SmbShare -Name hypersdk-export$ -Path <export_path> -ReadAccess <user>)", s.ExportShare)
	case !shareNameRE.MatchString(s.ExportShare):
		return bad("export_share %q is not a share name", s.ExportShare)
	}
	if !winPathRE.MatchString(s.ExportPath) {
		return bad("export_path %q must be the host's absolute path behind export_share, like D:\\HyperSDK\\Export", s.ExportPath)
	}
	t.smbAddr = s.SMBAddress
	if t.smbAddr == "" {
		t.smbAddr = net.JoinHostPort(s.Host, "445")
	}
	if _, _, err := net.SplitHostPort(t.smbAddr); err != nil {
		return bad("smb_address %q is not host:port", t.smbAddr)
	}
	if s.DownloadWorkers < 1 || s.DownloadWorkers > 64 {
		return bad("download_workers must be 1-64, got %d", s.DownloadWorkers)
	}
	if s.ChunkSizeMB < 1 || s.ChunkSizeMB > 64 {
		return bad("chunk_size_mb must be 1-64, got %d", s.ChunkSizeMB)
	}
	if s.PageSize < 1 || s.PageSize > 1000 {
		return bad("page_size must be 1-1000, got %d", s.PageSize)
	}
	if t.pollInterval, err = time.ParseDuration(s.PollInterval); err != nil || t.pollInterval <= 0 {
		return bad("poll_interval must be a positive duration like \"5s\", got %q", s.PollInterval)
	}
	if t.operationTimeout, err = time.ParseDuration(s.OperationTimeout); err != nil || t.operationTimeout < time.Second || t.operationTimeout > 10*time.Minute {
		return bad("operation_timeout must be a duration from 1s to 10m, got %q", s.OperationTimeout)
	}
	return t, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
