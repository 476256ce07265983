package hyperv

import "github.com/hypersdk/hypersdk/sdk/provider"

// configKeys declares every key of Settings for Info.Config, with the defaults defaultSettings
// applies; a test keeps the two in step.
var configKeys = []provider.ConfigKey{
	{Name: "host", Type: provider.KeyString, Required: true, Description: "the Hyper-V host (or a cluster's management address) reached over WinRM and SMB"},
	{Name: "cluster", Type: provider.KeyString, Description: "a failover cluster name: list the VMs of every node that is up"},
	{Name: "winrm_endpoint", Type: provider.KeyString, Description: "WinRM URL; default https://<host>:5986/wsman"},
	{Name: "winrm_auth", Type: provider.KeyString, Default: "ntlm", Description: "basic (over https only) or ntlm (messages encrypted, also over http)"},
	{Name: "username", Type: provider.KeyString, Required: true, Description: "account for WinRM and the export share (DOMAIN\\user or user with domain)"},
	{Name: "password", Type: provider.KeyString, Required: true, Secret: true, Description: "its password; write it as ${ENV_VAR}. It authenticates the sessions only, never sent in a script"},
	{Name: "domain", Type: provider.KeyString, Description: "NTLM domain for the SMB session"},
	{Name: "insecure_skip_verify", Type: provider.KeyBool, Default: "false", Description: "accept any WinRM https certificate (tests only)"},
	{Name: "ca_cert_path", Type: provider.KeyString, Description: "PEM CA bundle that signed the host's WinRM certificate"},
	{Name: "export_share", Type: provider.KeyString, Required: true, Description: "a dedicated read-only SMB share over export_path (not C$ or ADMIN$), e.g. hypersdk-export$"},
	{Name: "export_path", Type: provider.KeyString, Required: true, Description: "the host's path behind export_share, e.g. D:\\HyperSDK\\Export; each job exports into a folder of its own there"},
	{Name: "smb_address", Type: provider.KeyString, Description: "host:port of the SMB server; default <host>:445"},
	{Name: "download_workers", Type: provider.KeyInt, Default: "8", Description: "SMB reads of one disk in flight at once, 1-64"},
	{Name: "chunk_size_mb", Type: provider.KeyInt, Default: "8", Description: "size of one SMB read in MiB, 1-64"},
	{Name: "page_size", Type: provider.KeyInt, Default: "100", Description: "VMs listed per WinRM call, 1-1000"},
	{Name: "poll_interval", Type: provider.KeyDuration, Default: "5s", Description: "how often a running export job is polled"},
	{Name: "operation_timeout", Type: provider.KeyDuration, Default: "60s", Description: "WS-Management wait for output per request, 1s-10m; longer scripts are polled again"},
}

// filters are the Filter fields ListVMs honours. The datacenter is the host a VM runs on (a
// cluster node's name); Hyper-V has no folders. Tags come from the VM's notes.
var filters = []string{provider.FilterDatacenter, provider.FilterPowerState, provider.FilterTags, provider.FilterNamePattern}
