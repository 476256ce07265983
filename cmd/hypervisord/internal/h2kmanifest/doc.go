// Package h2kmanifest checks an Artifact Manifest v1.0 by the rules hyper2kvm applies when its
// manifest workflow daemon (`hyper2kvm daemon --manifest-workflow-mode`) picks one up, with the
// error messages hyper2kvm 0.2.0 writes into `<name>.error.json`. It is shared by the hyper2kvm
// stand-in the tests run (cmd/hypervisord/testdata/hyper2kvm) and by tests that check a manifest
// hypervisord wrote without starting that stand-in:
//
//	m, err := h2kmanifest.Validate("/watch/lab/to_be_processed/job-1.json")
//	// err is nil, or the one message hyper2kvm would report for the file, such as
//	// "disks[0].checksum must match format: sha256:<hexdigest> (got: 'abc')"
//
// Validate applies the rules in the daemon's order (../shared/HYPER2KVM.md lists them):
//
//  1. the file parses (.json as JSON, .yaml/.yml as YAML) into an object;
//  2. pipeline.load.source_type is one of vmdk, ova, ovf, vhd, vhdx, raw, ami (case-insensitive)
//     — "Unknown source_type in manifest: <value>" otherwise; pipeline.load.source_path is required;
//  3. the loader: manifest_version is the string "1.0"; disks is a non-empty array whose items
//     have id (^[a-zA-Z0-9_-]+$, unique), source_format, bytes (integer >= 0) and local_path (which
//     must exist), and optionally checksum ("sha256:" + 64 lowercase hex), boot_order_hint (integer
//     >= 0) and disk_type (boot, data, unknown); vm, when present, is an object whose firmware is
//     bios/uefi/unknown, secureboot a boolean, cpu and mem_gb integers >= 1;
//  4. output.format, when present, is qcow2, raw or vdi; vm.os_hint is linux, windows or unknown;
//  5. every disk checksum matches the file's SHA-256.
//
// Where hyper2kvm is lax the stand-in is deliberately stricter, so a mistake of ours cannot pass:
// Python counts true/false as integers (bytes: true passes there) — here a boolean is never an
// integer; the 0.2.0 loader does not look at vm.os_hint, output.format or source_path's existence
// — here all three are checked (with messages in the loader's style).
package h2kmanifest
