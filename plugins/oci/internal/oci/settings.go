package oci

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Auth modes: an API signing key of a user, or the instance principal of the OCI instance
// the daemon runs on.
const (
	AuthAPIKey            = "api_key"
	AuthInstancePrincipal = "instance_principal"
)

// Settings is the providers.oci section. The private key (private_key_file, or private_key
// itself, usually ${ENV}) and its passphrase are never logged.
type Settings struct {
	Auth                  string   `json:"auth,omitempty"`
	Tenancy               string   `json:"tenancy"`
	User                  string   `json:"user,omitempty"`
	Fingerprint           string   `json:"fingerprint,omitempty"`
	PrivateKeyFile        string   `json:"private_key_file,omitempty"`
	PrivateKey            string   `json:"private_key,omitempty"`
	PrivateKeyPassphrase  string   `json:"private_key_passphrase,omitempty"`
	Region                string   `json:"region"`
	Compartments          []string `json:"compartments,omitempty"`
	StagingNamespace      string   `json:"staging_namespace"`
	StagingBucket         string   `json:"staging_bucket"`
	StagingPrefix         string   `json:"staging_prefix,omitempty"`
	ExportFormat          string   `json:"export_format,omitempty"`
	UsePAR                bool     `json:"use_par,omitempty"`
	PARLifetime           string   `json:"par_lifetime,omitempty"`
	RequireAllDisks       bool     `json:"require_all_disks,omitempty"`
	DownloadWorkers       int      `json:"download_workers,omitempty"`
	PollInterval          string   `json:"poll_interval,omitempty"`
	ExportTimeout         string   `json:"export_timeout,omitempty"`
	StallTimeout          string   `json:"stall_timeout,omitempty"`
	ReleaseWait           string   `json:"release_wait,omitempty"`
	Endpoint              string   `json:"endpoint,omitempty"`
	ObjectStorageEndpoint string   `json:"objectstorage_endpoint,omitempty"`
}

func defaultSettings() Settings {
	return Settings{
		Auth:            AuthAPIKey,
		StagingPrefix:   "hypersdk/",
		ExportFormat:    "QCOW2",
		PARLifetime:     "24h",
		DownloadWorkers: 8,
		PollInterval:    "10s",
		ExportTimeout:   "6h",
		StallTimeout:    "1h",
		ReleaseWait:     "1m",
	}
}

// exportFormats are the formats ExportImage writes and the artifact format of each.
var exportFormats = map[string]string{"QCOW2": provider.FormatQCOW2, "VMDK": provider.FormatVMDK, "VHD": provider.FormatVHD}

// timing is what validate parses out of Settings.
type timing struct {
	poll, exportTimeout, stall, releaseWait, parLifetime time.Duration
}

// validate checks the settings, naming the key of each problem, and reads the private key
// file so a missing file fails at start-up.
func (s *Settings) validate() (timing, error) {
	bad := func(key, format string, args ...any) (timing, error) {
		return timing{}, fmt.Errorf("%w: providers.oci.%s: %s", provider.ErrInvalidArgument, key, fmt.Sprintf(format, args...))
	}
	s.ExportFormat = strings.ToUpper(s.ExportFormat)
	switch {
	case s.Auth != AuthAPIKey && s.Auth != AuthInstancePrincipal:
		return bad("auth", "%q is not %s or %s", s.Auth, AuthAPIKey, AuthInstancePrincipal)
	case !strings.HasPrefix(s.Tenancy, "ocid1.tenancy."):
		return bad("tenancy", "%q is not a tenancy OCID (ocid1.tenancy.…): required, the root of the compartments listed", s.Tenancy)
	case s.Region == "":
		return bad("region", "is required (us-ashburn-1…)")
	case s.StagingNamespace == "":
		return bad("staging_namespace", "is required: the Object Storage namespace of staging_bucket")
	case s.StagingBucket == "" || strings.ContainsAny(s.StagingBucket, "/:"):
		return bad("staging_bucket", "%q must be a bucket name: ExportImage writes the image there", s.StagingBucket)
	case exportFormats[s.ExportFormat] == "":
		return bad("export_format", "%q is not QCOW2, VMDK or VHD", s.ExportFormat)
	case s.DownloadWorkers < 1 || s.DownloadWorkers > 64:
		return bad("download_workers", "%d is not between 1 and 64", s.DownloadWorkers)
	case s.Auth == AuthInstancePrincipal && s.UsePAR == false:
		return bad("use_par", "must be true with auth: instance_principal: OCI refuses an export to a bucket by name from an instance principal, it needs a pre-authenticated request")
	}
	if s.Auth == AuthAPIKey {
		switch {
		case !strings.HasPrefix(s.User, "ocid1.user."):
			return bad("user", "%q is not a user OCID (ocid1.user.…): required with auth: api_key", s.User)
		case s.Fingerprint == "":
			return bad("fingerprint", "is required with auth: api_key: the fingerprint of the API signing key")
		case s.PrivateKeyFile != "" && s.PrivateKey != "":
			return bad("private_key", "set private_key_file or private_key, not both")
		case s.PrivateKeyFile == "" && s.PrivateKey == "":
			return bad("private_key_file", "is required with auth: api_key (or private_key with the PEM itself)")
		}
		if s.PrivateKeyFile != "" {
			pem, err := os.ReadFile(s.PrivateKeyFile)
			if err != nil {
				return bad("private_key_file", "cannot read the key: %v", err)
			}
			s.PrivateKey = string(pem)
		}
		if !strings.Contains(s.PrivateKey, "PRIVATE KEY-----") {
			return bad("private_key", "is not a PEM private key")
		}
	}
	for _, c := range s.Compartments {
		if !strings.HasPrefix(c, "ocid1.compartment.") && !strings.HasPrefix(c, "ocid1.tenancy.") {
			return bad("compartments", "%q is not a compartment OCID", c)
		}
	}
	for key, ep := range map[string]string{"endpoint": s.Endpoint, "objectstorage_endpoint": s.ObjectStorageEndpoint} {
		if ep != "" && !strings.HasPrefix(ep, "http://") && !strings.HasPrefix(ep, "https://") {
			return bad(key, "%q must be a URL: scheme and host only", ep)
		}
	}
	var t timing
	for _, d := range []struct {
		key, v string
		min    time.Duration
		dst    *time.Duration
	}{
		{"poll_interval", s.PollInterval, time.Millisecond, &t.poll},
		{"export_timeout", s.ExportTimeout, time.Minute, &t.exportTimeout},
		{"stall_timeout", s.StallTimeout, 100 * time.Millisecond, &t.stall},
		{"release_wait", s.ReleaseWait, 0, &t.releaseWait},
		{"par_lifetime", s.PARLifetime, time.Hour, &t.parLifetime},
	} {
		v, err := time.ParseDuration(d.v)
		if err != nil || v < d.min {
			return bad(d.key, "%q is not a duration of %s or more", d.v, d.min)
		}
		*d.dst = v
	}
	return t, nil
}

// artifactFormat is the artifact format of the configured export format.
func (s Settings) artifactFormat() string { return exportFormats[s.ExportFormat] }
