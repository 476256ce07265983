package gcp

import "github.com/hypersdk/hypersdk/sdk/provider"

// configKeys declares every key of Settings for Info.Config, with the defaults
// defaultSettings applies; a test keeps the two in step.
var configKeys = []provider.ConfigKey{
	{Name: "project", Type: provider.KeyString, Required: true, Description: "project ID whose instances are listed and exported"},
	{Name: "zones", Type: provider.KeyList, Description: "zones to list instances in (us-central1-a…); empty with regions empty: every zone"},
	{Name: "regions", Type: provider.KeyList, Description: "regions whose zones to list instances in (us-central1…)"},
	{Name: "credentials_file", Type: provider.KeyString, Description: "service-account key file; empty with credentials_json empty: application default credentials"},
	{Name: "credentials_json", Type: provider.KeyString, Secret: true, Description: "service-account key JSON itself, usually ${ENV}"},
	{Name: "staging_bucket", Type: provider.KeyString, Required: true, Description: "Cloud Storage bucket the image export writes disk images (and build logs) to"},
	{Name: "staging_prefix", Type: provider.KeyString, Default: "hypersdk/", Description: "object name prefix in staging_bucket"},
	{Name: "builder_image", Type: provider.KeyString, Default: DefaultBuilderImage, Description: "image-export builder image the Cloud Build step runs"},
	{Name: "build_service_account", Type: provider.KeyString, Description: "email of the service account the build runs as; empty: Cloud Build's default"},
	{Name: "compute_service_account", Type: provider.KeyString, Description: "email of the service account of the builder's worker VM (-compute_service_account)"},
	{Name: "network", Type: provider.KeyString, Description: "VPC network of the builder's worker VM; empty: default"},
	{Name: "subnet", Type: provider.KeyString, Description: "subnetwork of the builder's worker VM"},
	{Name: "no_external_ip", Type: provider.KeyBool, Default: "false", Description: "worker VM without an external IP (needs Private Google Access)"},
	{Name: "build_timeout", Type: provider.KeyDuration, Default: "2h", Description: "how long one disk's image export build may run"},
	{Name: "download_workers", Type: provider.KeyInt, Default: "8", Description: "parallel ranged reads of one exported object, 1-64"},
	{Name: "poll_interval", Type: provider.KeyDuration, Default: "5s", Description: "how often operations and builds are polled"},
	{Name: "compute_endpoint", Type: provider.KeyString, Description: "Compute Engine API endpoint; empty: Google's (set for a private endpoint or a stand-in)"},
	{Name: "cloudbuild_endpoint", Type: provider.KeyString, Description: "Cloud Build API endpoint; empty: Google's"},
	{Name: "storage_endpoint", Type: provider.KeyString, Description: "Cloud Storage JSON API endpoint, e.g. http://127.0.0.1:4443/storage/v1/; empty: Google's"},
	{Name: "anonymous", Type: provider.KeyBool, Default: "false", Description: "send no credentials at all: for emulators only"},
}

// filters are the Filter fields ListVMs honours. GCP has no folders; a tag is a label,
// key or key=value.
var filters = []string{provider.FilterDatacenter, provider.FilterPowerState, provider.FilterTags, provider.FilterNamePattern}
