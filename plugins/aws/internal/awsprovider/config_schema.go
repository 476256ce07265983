package awsprovider

import "github.com/hypersdk/hypersdk/sdk/provider"

// configKeys declares every key of Settings for Info.Config, with the defaults defaultSettings
// applies; a test keeps the two in step.
var configKeys = []provider.ConfigKey{
	{Name: "region", Type: provider.KeyString, Required: true, Description: "AWS region the instances live in, e.g. eu-west-1"},
	{Name: "regions", Type: provider.KeyList, Description: "more regions to list instances from, besides region"},
	{Name: "profile", Type: provider.KeyString, Description: "shared config/credentials profile to use instead of the SDK's default credential chain"},
	{Name: "access_key_id", Type: provider.KeyString, Secret: true, Description: "explicit access key id (write ${AWS_ACCESS_KEY_ID}); with secret_access_key, replaces the default chain"},
	{Name: "secret_access_key", Type: provider.KeyString, Secret: true, Description: "secret of access_key_id (write ${AWS_SECRET_ACCESS_KEY})"},
	{Name: "session_token", Type: provider.KeyString, Secret: true, Description: "session token of temporary explicit keys"},
	{Name: "assume_role_arn", Type: provider.KeyString, Description: "role to assume (STS AssumeRole) with the credentials above"},
	{Name: "external_id", Type: provider.KeyString, Secret: true, Description: "external id the assumed role's trust policy asks for"},
	{Name: "ec2_endpoint", Type: provider.KeyString, Description: "EC2 endpoint URL override (VPC endpoint, GovCloud/China, or a test server)"},
	{Name: "ebs_endpoint", Type: provider.KeyString, Description: "EBS direct APIs endpoint URL override"},
	{Name: "sts_endpoint", Type: provider.KeyString, Description: "STS endpoint URL override, for assume_role_arn"},
	{Name: "download_workers", Type: provider.KeyInt, Default: "16", Description: "parallel GetSnapshotBlock requests per export, 1-256"},
	{Name: "max_attempts", Type: provider.KeyInt, Default: "8", Description: "attempts per AWS request, throttling and transient errors included, 1-20"},
	{Name: "request_timeout", Type: provider.KeyDuration, Default: "30s", Description: "timeout of one attempt of one request (a block read is one request)"},
	{Name: "retry_max_backoff", Type: provider.KeyDuration, Default: "20s", Description: "longest wait between two attempts of a throttled or failed request"},
	{Name: "page_size", Type: provider.KeyInt, Default: "500", Description: "instances per DescribeInstances page, 5-1000"},
	{Name: "tag_filters", Type: provider.KeyList, Description: "tags every listed instance must carry, key or key=value, added to each listing's own"},
	{Name: "snapshot_timeout", Type: provider.KeyDuration, Default: "6h", Description: "how long the snapshots of one export may take to complete"},
	{Name: "snapshot_poll_interval", Type: provider.KeyDuration, Default: "15s", Description: "how often a pending snapshot's progress is asked for"},
	{Name: "shutdown_timeout", Type: provider.KeyDuration, Default: "10m", Description: "how long stopping an instance for shutdown_vm may take"},
}

// filters are the Filter fields ListVMs honours. Datacenter is a region or an availability
// zone; a tag is key or key=value.
var filters = []string{provider.FilterDatacenter, provider.FilterPowerState, provider.FilterTags, provider.FilterNamePattern}
