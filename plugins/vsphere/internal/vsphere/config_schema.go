package vsphere

import "github.com/hypersdk/hypersdk/sdk/provider"

// configKeys declares every key of Settings for Info.Config, with the defaults defaultSettings
// applies; a test keeps the two in step.
var configKeys = []provider.ConfigKey{
	{Name: "host", Type: provider.KeyString, Description: "vCenter or ESXi: a host name, host:port or https://host/sdk URL; required unless simulator is true"},
	{Name: "username", Type: provider.KeyString, Description: "user to log in as, e.g. administrator@vsphere.local"},
	{Name: "password", Type: provider.KeyString, Secret: true, Description: "password of username"},
	{Name: "insecure", Type: provider.KeyBool, Default: "false", Description: "accept vCenter's certificate without verifying it"},
	{Name: "thumbprint", Type: provider.KeyString, Description: "pin vCenter's certificate by its SHA-1 thumbprint, as govc shows it"},
	{Name: "ca_file", Type: provider.KeyString, Description: "PEM file of the CA to verify vCenter's certificate with"},
	{Name: "connection_pool_size", Type: provider.KeyInt, Default: "2", Description: "logged-in vCenter sessions kept, 1-64; an export keeps one for its whole run"},
	{Name: "shutdown_timeout", Type: provider.KeyDuration, Default: "5m", Description: "how long a guest shutdown for shutdown_vm may take before the VM is powered off"},
	{Name: "download_workers", Type: provider.KeyInt, Default: "4", Description: "disks of one export downloaded at once, 1-32"},
	{Name: "simulator", Type: provider.KeyBool, Default: "false", Description: "serve an embedded vCenter simulator with real disks instead of connecting to host"},
	{Name: "simulator_vms", Type: provider.KeyInt, Default: "4", Description: "simulator: how many VMs"},
	{Name: "simulator_disk_mb", Type: provider.KeyInt, Default: "64", Description: "simulator: capacity of each VM's disk in MiB"},
	{Name: "simulator_name_prefix", Type: provider.KeyString, Description: "simulator: name the VMs <prefix>001…; empty keeps DC0_C0_RP0_VM0…"},
}

// filters are the Filter fields ListVMs honours: all of them. A tag is a tag's name, or
// category=name for a tag of one category.
var filters = []string{provider.FilterDatacenter, provider.FilterFolder, provider.FilterPowerState, provider.FilterTags, provider.FilterNamePattern}
