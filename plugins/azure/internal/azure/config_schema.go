package azure

import "github.com/hypersdk/hypersdk/sdk/provider"

// configKeys declares every key of Settings for Info.Config, with the defaults defaultSettings
// applies; a test keeps the two in step.
var configKeys = []provider.ConfigKey{
	{Name: "subscription_id", Type: provider.KeyString, Required: true, Description: "the subscription whose VMs are listed and exported"},
	{Name: "resource_groups", Type: provider.KeyList, Description: "resource groups to work in; empty is the whole subscription"},
	{Name: "cloud", Type: provider.KeyString, Default: "public", Description: "public, government or china"},
	{Name: "credential", Type: provider.KeyString, Default: "default", Description: "default (azidentity's chain: environment, workload identity, managed identity, Azure CLI), client_secret, client_certificate or access_token"},
	{Name: "tenant_id", Type: provider.KeyString, Description: "Entra ID tenant of the service principal (client_secret, client_certificate)"},
	{Name: "client_id", Type: provider.KeyString, Description: "application (client) id of the service principal"},
	{Name: "client_secret", Type: provider.KeyString, Secret: true, Description: "the service principal's secret; write it as ${ENV_VAR}"},
	{Name: "client_certificate_path", Type: provider.KeyString, Description: "PEM or PKCS#12 file with the service principal's certificate and key"},
	{Name: "client_certificate_password", Type: provider.KeyString, Secret: true, Description: "password of the PKCS#12 file, if any"},
	{Name: "access_token", Type: provider.KeyString, Secret: true, Description: "a Resource Manager bearer token got elsewhere (az account get-access-token); it is not refreshed"},
	{Name: "resource_manager_endpoint", Type: provider.KeyString, Description: "replaces the cloud's Resource Manager endpoint (Azure Stack Hub, a proxy); http only on loopback"},
	{Name: "download_workers", Type: provider.KeyInt, Default: "8", Description: "ranged reads of one disk in flight at once, 1-64"},
	{Name: "chunk_size_mb", Type: provider.KeyInt, Default: "4", Description: "size of one ranged read in MiB, 1-256"},
	{Name: "sas_duration", Type: provider.KeyDuration, Default: "4h", Description: "how long a read grant's SAS is valid, 1s-24h; one that expires mid-copy is granted again"},
	{Name: "poll_interval", Type: provider.KeyDuration, Default: "5s", Description: "how often a long-running operation (snapshot, grant) is polled when Azure names no Retry-After"},
	{Name: "max_retries", Type: provider.KeyInt, Default: "5", Description: "retries of a throttled (429, honouring Retry-After) or failed request, 0-20"},
	{Name: "shutdown_mode", Type: provider.KeyString, Default: "deallocate", Description: "what shutdown_vm does: deallocate (compute released, not billed) or power_off (stopped, still billed); the VM is started again after the export"},
}

// filters are the Filter fields ListVMs honours: all of them. The datacenter is the VM's
// location (westeurope), the folder its resource group, a tag key or key=value.
var filters = []string{provider.FilterDatacenter, provider.FilterFolder, provider.FilterPowerState, provider.FilterTags, provider.FilterNamePattern}
