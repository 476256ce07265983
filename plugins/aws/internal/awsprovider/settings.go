package awsprovider

import (
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Settings is the providers.<name> section of an AWS provider instance.
type Settings struct {
	Region               string   `json:"region"`
	Regions              []string `json:"regions,omitempty"`
	Profile              string   `json:"profile,omitempty"`
	AccessKeyID          string   `json:"access_key_id,omitempty"`
	SecretAccessKey      string   `json:"secret_access_key,omitempty"`
	SessionToken         string   `json:"session_token,omitempty"`
	AssumeRoleARN        string   `json:"assume_role_arn,omitempty"`
	ExternalID           string   `json:"external_id,omitempty"`
	EC2Endpoint          string   `json:"ec2_endpoint,omitempty"`
	EBSEndpoint          string   `json:"ebs_endpoint,omitempty"`
	STSEndpoint          string   `json:"sts_endpoint,omitempty"`
	DownloadWorkers      int      `json:"download_workers"`
	MaxAttempts          int      `json:"max_attempts"`
	RequestTimeout       string   `json:"request_timeout"`
	RetryMaxBackoff      string   `json:"retry_max_backoff"`
	PageSize             int      `json:"page_size"`
	TagFilters           []string `json:"tag_filters,omitempty"`
	SnapshotTimeout      string   `json:"snapshot_timeout"`
	SnapshotPollInterval string   `json:"snapshot_poll_interval"`
	ShutdownTimeout      string   `json:"shutdown_timeout"`
}

func defaultSettings() Settings {
	return Settings{DownloadWorkers: 16, MaxAttempts: 8, RequestTimeout: "30s", RetryMaxBackoff: "20s", PageSize: 500,
		SnapshotTimeout: "6h", SnapshotPollInterval: "15s", ShutdownTimeout: "10m"}
}

// timing is Settings' durations, parsed.
type timing struct {
	request, backoff, snapshot, poll, shutdown time.Duration
}

// validate checks the settings and parses their durations; an error names the key.
func (s Settings) validate() (timing, error) {
	var tm timing
	bad := func(key, format string, args ...any) (timing, error) {
		return timing{}, fmt.Errorf("%w: providers.aws.%s: %s", provider.ErrInvalidArgument, key, fmt.Sprintf(format, args...))
	}
	if s.Region == "" {
		return bad("region", "is required (e.g. us-east-1)")
	}
	if (s.AccessKeyID == "") != (s.SecretAccessKey == "") {
		return bad("access_key_id", "access_key_id and secret_access_key go together")
	}
	if s.AccessKeyID != "" && s.Profile != "" {
		return bad("profile", "give either a profile or explicit keys, not both")
	}
	for key, ep := range map[string]string{"ec2_endpoint": s.EC2Endpoint, "ebs_endpoint": s.EBSEndpoint, "sts_endpoint": s.STSEndpoint} {
		if ep == "" {
			continue
		}
		if u, err := url.Parse(ep); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return bad(key, "%q is not an http(s) URL", ep)
		}
	}
	for _, r := range s.Regions {
		if r == "" {
			return bad("regions", "an empty region")
		}
	}
	switch {
	case s.DownloadWorkers < 1 || s.DownloadWorkers > 256:
		return bad("download_workers", "must be 1-256, got %d", s.DownloadWorkers)
	case s.MaxAttempts < 1 || s.MaxAttempts > 20:
		return bad("max_attempts", "must be 1-20, got %d", s.MaxAttempts)
	case s.PageSize < 5 || s.PageSize > 1000:
		return bad("page_size", "must be 5-1000, got %d", s.PageSize)
	}
	for _, d := range []struct {
		key, val string
		into     *time.Duration
	}{{"request_timeout", s.RequestTimeout, &tm.request}, {"retry_max_backoff", s.RetryMaxBackoff, &tm.backoff}, {"snapshot_timeout", s.SnapshotTimeout, &tm.snapshot},
		{"snapshot_poll_interval", s.SnapshotPollInterval, &tm.poll}, {"shutdown_timeout", s.ShutdownTimeout, &tm.shutdown}} {
		v, err := time.ParseDuration(d.val)
		if err != nil || v <= 0 {
			return bad(d.key, "%q is not a positive duration like 30s or 5m", d.val)
		}
		*d.into = v
	}
	return tm, nil
}

// allRegions is region followed by the other regions, without repeats.
func (s Settings) allRegions() []string {
	out := []string{s.Region}
	for _, r := range s.Regions {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}
