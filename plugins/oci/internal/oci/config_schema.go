package oci

import "github.com/hypersdk/hypersdk/sdk/provider"

// configKeys declares every key of Settings for Info.Config, with the defaults
// defaultSettings applies; a test keeps the two in step.
var configKeys = []provider.ConfigKey{
	{Name: "auth", Type: provider.KeyString, Default: AuthAPIKey, Description: "api_key (tenancy, user, fingerprint, private key) or instance_principal (the OCI instance the daemon runs on)"},
	{Name: "tenancy", Type: provider.KeyString, Required: true, Description: "tenancy OCID: the key's tenancy and the root of the compartment tree listed"},
	{Name: "user", Type: provider.KeyString, Description: "user OCID of the API signing key (auth: api_key)"},
	{Name: "fingerprint", Type: provider.KeyString, Description: "fingerprint of the API signing key (auth: api_key)"},
	{Name: "private_key_file", Type: provider.KeyString, Description: "PEM file of the API signing key"},
	{Name: "private_key", Type: provider.KeyString, Secret: true, Description: "the PEM of the API signing key itself, usually ${ENV}"},
	{Name: "private_key_passphrase", Type: provider.KeyString, Secret: true, Description: "passphrase of an encrypted private key"},
	{Name: "region", Type: provider.KeyString, Required: true, Description: "region (us-ashburn-1…)"},
	{Name: "compartments", Type: provider.KeyList, Description: "compartment OCIDs whose instances are listed; empty: the tenancy and every compartment under it"},
	{Name: "staging_namespace", Type: provider.KeyString, Required: true, Description: "Object Storage namespace of staging_bucket"},
	{Name: "staging_bucket", Type: provider.KeyString, Required: true, Description: "bucket ExportImage writes the image to; the plugin reads it back and deletes it"},
	{Name: "staging_prefix", Type: provider.KeyString, Default: "hypersdk/", Description: "object name prefix in staging_bucket"},
	{Name: "export_format", Type: provider.KeyString, Default: "QCOW2", Description: "QCOW2 (no conversion needed), VMDK or VHD"},
	{Name: "use_par", Type: provider.KeyBool, Default: "false", Description: "export through a pre-authenticated request on the object (required for instance principals and federated users)"},
	{Name: "par_lifetime", Type: provider.KeyDuration, Default: "24h", Description: "expiry of that pre-authenticated request; it is deleted when the export ends"},
	{Name: "require_all_disks", Type: provider.KeyBool, Default: "false", Description: "fail an export of an instance with attached block volumes (a custom image holds the boot volume only) instead of exporting the boot volume and naming the others"},
	{Name: "download_workers", Type: provider.KeyInt, Default: "8", Description: "parallel ranged GETs of one exported object, 1-64"},
	{Name: "poll_interval", Type: provider.KeyDuration, Default: "10s", Description: "how often images and work requests are polled"},
	{Name: "export_timeout", Type: provider.KeyDuration, Default: "6h", Description: "how long creating and exporting one image may take"},
	{Name: "stall_timeout", Type: provider.KeyDuration, Default: "1h", Description: "fail a work request whose percentComplete does not move for this long"},
	{Name: "release_wait", Type: provider.KeyDuration, Default: "1m", Description: "how long releasing an image still being exported waits for the export to end before it is retried later"},
	{Name: "endpoint", Type: provider.KeyString, Description: "Core, Identity and Work Requests endpoint (scheme and host); empty: the region's"},
	{Name: "objectstorage_endpoint", Type: provider.KeyString, Description: "Object Storage endpoint (scheme and host); empty: the region's"},
}

// filters are the Filter fields ListVMs honours. The folder is the compartment (OCID or name), the datacenter
// the availability domain or the region, a tag a freeform tag key=value or a defined tag
// namespace.key=value.
var filters = []string{provider.FilterDatacenter, provider.FilterFolder, provider.FilterPowerState, provider.FilterTags, provider.FilterNamePattern}
