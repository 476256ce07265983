package fake

import "github.com/hypersdk/hypersdk/sdk/provider"

// schema declares the providers.<name> keys of the test provider — the fields of Settings —
// so the host checks a section before Configure sees it and redacts api_token wherever it
// shows settings. A provider's schema is the user-facing twin of its settings struct: keep
// the two in step (TestSchemaMatchesSettings does).
var schema = []provider.ConfigKey{
	{Name: "vm_count", Type: provider.KeyInt, Default: "3", Description: "how many VMs the inventory holds (vm-001…)"},
	{Name: "disk_size_bytes", Type: provider.KeyInt, Default: "1048576", Description: "capacity of each VM's one disk"},
	{Name: "chunk_delay", Type: provider.KeyDuration, Description: "pause after each 64 KiB an export writes, e.g. 5ms"},
	{Name: "list_delay", Type: provider.KeyDuration, Description: "pause before ListVMs answers"},
	{Name: "faults", Type: provider.KeyBool, Default: "false", Description: "also serve vm-panic, vm-hang and vm-exit"},
	{Name: "api_token", Type: provider.KeyString, Secret: true, Description: "a stand-in credential: accepted, never shown"},
	{Name: "power_log", Type: provider.KeyString, Description: "file where shutdown_vm's power changes are appended"},
	{Name: "cloud_state", Type: provider.KeyString, Description: "cloud mode: path of the fake cloud's state file (its snapshots and grants)"},
	{Name: "fail_release", Type: provider.KeyBool, Default: "false", Description: "cloud mode: every Release fails"},
	{Name: "die_mid_export", Type: provider.KeyBool, Default: "false", Description: "cloud mode: the process exits halfway through an export"},
	{Name: "sparse_disk", Type: provider.KeyBool, Default: "false", Description: "disks are written sparsely (a few MiB of data at most) and reported with their extents"},
	{Name: "boot_sector", Type: provider.KeyBool, Default: "false", Description: "each VM's boot disk carries an MBR boot signature, as a disk an operating system was installed on"},
	{Name: "data_disks", Type: provider.KeyInt, Default: "0", Description: "disks of data each VM has besides its boot disk (0-15), not in its boot order"},
}
