package azure

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Settings is the providers.azure section of the daemon configuration.
type Settings struct {
	SubscriptionID string `json:"subscription_id"`
	// ResourceGroups limits discovery and exports to these groups; empty is the whole subscription.
	ResourceGroups []string `json:"resource_groups"`
	Cloud          string   `json:"cloud"`
	// Credential picks how to authenticate: default (azidentity's chain: environment, workload
	// identity, managed identity, Azure CLI…), client_secret, client_certificate or access_token.
	Credential                string `json:"credential"`
	TenantID                  string `json:"tenant_id"`
	ClientID                  string `json:"client_id"`
	ClientSecret              string `json:"client_secret"`
	ClientCertificatePath     string `json:"client_certificate_path"`
	ClientCertificatePassword string `json:"client_certificate_password"`
	AccessToken               string `json:"access_token"`
	// ResourceManagerEndpoint replaces the cloud's Resource Manager endpoint (Azure Stack Hub, a
	// proxy); plain http is accepted for a loopback address only.
	ResourceManagerEndpoint string `json:"resource_manager_endpoint"`

	DownloadWorkers int    `json:"download_workers"`
	ChunkSizeMB     int    `json:"chunk_size_mb"`
	SASDuration     string `json:"sas_duration"`
	PollInterval    string `json:"poll_interval"`
	MaxRetries      int    `json:"max_retries"`
	// ShutdownMode is what shutdown_vm does: deallocate (compute released, billing stops) or
	// power_off (compute kept and billed).
	ShutdownMode string `json:"shutdown_mode"`
}

func defaultSettings() Settings {
	return Settings{Cloud: "public", Credential: "default", DownloadWorkers: 8, ChunkSizeMB: 4, SASDuration: "4h",
		PollInterval: "5s", MaxRetries: 5, ShutdownMode: "deallocate"}
}

// tuned is what validate derives from Settings.
type tuned struct {
	sasDuration, pollInterval time.Duration
	endpoint                  *url.URL
}

func (s Settings) validate() (tuned, error) {
	var t tuned
	bad := func(format string, args ...any) (tuned, error) {
		return t, fmt.Errorf("%w: providers.azure.%s", provider.ErrInvalidArgument, fmt.Sprintf(format, args...))
	}
	if s.SubscriptionID == "" {
		return bad("subscription_id is required")
	}
	if _, ok := clouds[s.Cloud]; !ok {
		return bad("cloud must be public, government or china, got %q", s.Cloud)
	}
	switch s.Credential {
	case "default":
	case "client_secret":
		if s.TenantID == "" || s.ClientID == "" || s.ClientSecret == "" {
			return bad("credential client_secret needs tenant_id, client_id and client_secret")
		}
	case "client_certificate":
		if s.TenantID == "" || s.ClientID == "" || s.ClientCertificatePath == "" {
			return bad("credential client_certificate needs tenant_id, client_id and client_certificate_path")
		}
	case "access_token":
		if s.AccessToken == "" {
			return bad("credential access_token needs access_token")
		}
	default:
		return bad("credential must be default, client_secret, client_certificate or access_token, got %q", s.Credential)
	}
	for i, rg := range s.ResourceGroups {
		if strings.TrimSpace(rg) == "" || strings.Contains(rg, "/") {
			return bad("resource_groups[%d] %q is not a resource group name", i, rg)
		}
	}
	if s.DownloadWorkers < 1 || s.DownloadWorkers > 64 {
		return bad("download_workers must be 1-64, got %d", s.DownloadWorkers)
	}
	if s.ChunkSizeMB < 1 || s.ChunkSizeMB > 256 {
		return bad("chunk_size_mb must be 1-256, got %d", s.ChunkSizeMB)
	}
	if s.MaxRetries < 0 || s.MaxRetries > 20 {
		return bad("max_retries must be 0-20, got %d", s.MaxRetries)
	}
	if s.ShutdownMode != "deallocate" && s.ShutdownMode != "power_off" {
		return bad("shutdown_mode must be deallocate or power_off, got %q", s.ShutdownMode)
	}
	var err error
	if t.sasDuration, err = time.ParseDuration(s.SASDuration); err != nil || t.sasDuration < time.Second || t.sasDuration > 24*time.Hour {
		return bad("sas_duration must be a duration from 1s to 24h, got %q", s.SASDuration)
	}
	if t.pollInterval, err = time.ParseDuration(s.PollInterval); err != nil || t.pollInterval <= 0 {
		return bad("poll_interval must be a positive duration like \"5s\", got %q", s.PollInterval)
	}
	if s.ResourceManagerEndpoint != "" {
		u, err := url.Parse(s.ResourceManagerEndpoint)
		if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			return bad("resource_manager_endpoint %q is not an http(s) URL", s.ResourceManagerEndpoint)
		}
		if u.Scheme == "http" && !loopback(u.Hostname()) {
			return bad("resource_manager_endpoint %q: plain http is accepted for a loopback address only (a token must not cross the network in the clear)", s.ResourceManagerEndpoint)
		}
		t.endpoint = u
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
