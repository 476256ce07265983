package gcp

import (
	"fmt"
	"strings"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// DefaultBuilderImage is the image-export builder gcloud compute images export runs. Its
// registry path has moved between projects before and the tool is near its end of life (see
// docs/providers/gcp.md), so builder_image overrides it.
const DefaultBuilderImage = "gcr.io/compute-image-tools/gce_vm_image_export:release"

// Settings is the providers.gcp section. Credentials are the service-account key file or JSON
// (credentials_file / credentials_json, usually ${ENV}), or application default credentials
// when both are empty; they are never logged.
type Settings struct {
	Project               string   `json:"project"`
	Zones                 []string `json:"zones,omitempty"`
	Regions               []string `json:"regions,omitempty"`
	CredentialsFile       string   `json:"credentials_file,omitempty"`
	CredentialsJSON       string   `json:"credentials_json,omitempty"`
	StagingBucket         string   `json:"staging_bucket"`
	StagingPrefix         string   `json:"staging_prefix,omitempty"`
	BuilderImage          string   `json:"builder_image,omitempty"`
	BuildServiceAccount   string   `json:"build_service_account,omitempty"`
	ComputeServiceAccount string   `json:"compute_service_account,omitempty"`
	Network               string   `json:"network,omitempty"`
	Subnet                string   `json:"subnet,omitempty"`
	NoExternalIP          bool     `json:"no_external_ip,omitempty"`
	BuildTimeout          string   `json:"build_timeout,omitempty"`
	DownloadWorkers       int      `json:"download_workers,omitempty"`
	PollInterval          string   `json:"poll_interval,omitempty"`
	ComputeEndpoint       string   `json:"compute_endpoint,omitempty"`
	CloudBuildEndpoint    string   `json:"cloudbuild_endpoint,omitempty"`
	StorageEndpoint       string   `json:"storage_endpoint,omitempty"`
	Anonymous             bool     `json:"anonymous,omitempty"`
}

func defaultSettings() Settings {
	return Settings{
		StagingPrefix:   "hypersdk/",
		BuilderImage:    DefaultBuilderImage,
		BuildTimeout:    "2h",
		DownloadWorkers: 8,
		PollInterval:    "5s",
	}
}

// timing is what validate parses out of Settings.
type timing struct {
	buildTimeout time.Duration
	poll         time.Duration
}

// validate checks the settings, naming the key of each problem.
func (s Settings) validate() (timing, error) {
	bad := func(key, format string, args ...any) (timing, error) {
		return timing{}, fmt.Errorf("%w: providers.gcp.%s: %s", provider.ErrInvalidArgument, key, fmt.Sprintf(format, args...))
	}
	var t timing
	var err error
	switch {
	case s.Project == "":
		return bad("project", "is required: the project whose instances are listed and exported")
	case s.StagingBucket == "" || strings.ContainsAny(s.StagingBucket, "/:"):
		return bad("staging_bucket", "%q must be a bucket name (no gs:// and no path): the image export writes there", s.StagingBucket)
	case s.CredentialsFile != "" && s.CredentialsJSON != "":
		return bad("credentials_json", "set credentials_file or credentials_json, not both")
	case s.Anonymous && (s.CredentialsFile != "" || s.CredentialsJSON != ""):
		return bad("anonymous", "sends no credentials; it cannot go with credentials_file or credentials_json")
	case s.DownloadWorkers < 1 || s.DownloadWorkers > 64:
		return bad("download_workers", "%d is not between 1 and 64", s.DownloadWorkers)
	case s.BuilderImage == "":
		return bad("builder_image", "must name the image-export builder image")
	}
	if t.buildTimeout, err = time.ParseDuration(s.BuildTimeout); err != nil || t.buildTimeout < time.Minute {
		return bad("build_timeout", "%q is not a duration of a minute or more", s.BuildTimeout)
	}
	if t.poll, err = time.ParseDuration(s.PollInterval); err != nil || t.poll <= 0 || t.poll > 5*time.Minute {
		return bad("poll_interval", "%q is not a duration between 1ns and 5m", s.PollInterval)
	}
	for _, z := range s.Zones {
		if strings.Count(z, "-") < 2 {
			return bad("zones", "%q is not a zone name like us-central1-a", z)
		}
	}
	for _, r := range s.Regions {
		if strings.Count(r, "-") != 1 {
			return bad("regions", "%q is not a region name like us-central1", r)
		}
	}
	return t, nil
}

// inScope says whether instances of zone are listed: all zones when neither zones nor regions
// is set, else those named and those in the regions named.
func (s Settings) inScope(zone string) bool {
	if len(s.Zones) == 0 && len(s.Regions) == 0 {
		return true
	}
	for _, z := range s.Zones {
		if z == zone {
			return true
		}
	}
	for _, r := range s.Regions {
		if regionOf(zone) == r {
			return true
		}
	}
	return false
}

// regionOf is the region of a zone: us-central1 of us-central1-a.
func regionOf(zone string) string {
	if i := strings.LastIndexByte(zone, '-'); i > 0 {
		return zone[:i]
	}
	return zone
}
