// Command hyper2kvm is a stand-in for hyper2kvm 0.2.0 (a separate Python project that fixes and
// converts guest disks), built by hypervisord's tests in place of the real tool, which cannot be
// installed here. It follows ../shared/HYPER2KVM.md and the published 0.2.0 source, not a
// protocol of our own: whatever hypervisord does that the real tool would refuse, this refuses.
//
// Command line, parsed as Python's argparse would (no subcommands; unknown arguments →
// "usage: …" and "hyper2kvm: error: unrecognized arguments: --format qcow2" on stderr, exit 2;
// a flag missing its value → "argument --output-dir: expected one argument", exit 2; long flags
// may be abbreviated to a unique prefix):
//
//	hyper2kvm --version                                  prints "0.2.0" (argparse's version action prints the bare version)
//	hyper2kvm --cmd local --vmdk F --output-dir D --flatten --to-output N --out-format qcow2|raw|vdi [-v|-vv] [--config Y]
//	hyper2kvm --cmd ova --ova F …    hyper2kvm --cmd ovf --ovf F …
//	hyper2kvm daemon --manifest-workflow-mode --manifest-workflow-dir W --output-dir O [--max-concurrent-jobs N]
//
// `daemon` as a bare first word is accepted because hyper2kvm's documentation starts the workflow
// that way (the 0.2.0 parser itself defines no positional; `--cmd daemon` works too). --config
// reads a YAML file whose keys (cmd, vmdk, ova, ovf, output_dir, flatten, to_output, out_format,
// manifest_workflow_mode, manifest_workflow_dir, max_concurrent_jobs) are defaults under the flags.
//
// One-shot (direct mode): the source disk (the VMDK, the OVA's or the OVF's first disk in its
// DiskSection — the boot disk; other disks are not converted) is flattened into
// <output-dir>/work/<stem>.flat.qcow2, the fixer inspects that image, and with --to-output the
// image is converted by qemu-img into <output-dir>/<NAME> (NAME relative to --output-dir unless
// absolute). Without --to-output nothing is converted (exit 0, only work/). Without --flatten the
// real fixer opens the source disk read-write and modifies it in place; the stand-in refuses that
// run (exit 1, "refusing to open … read-write: pass --flatten") so a test sees hypervisord never
// lets hyper2kvm touch the export.
//
// The fixer's rule (the real one mounts the guest with libguestfs and fails on a disk without an
// operating system): a disk has an operating system when its first 1024 bytes, read through
// `qemu-img dd` (any format qemu-img reads), carry an MBR boot signature (0x55 0xAA at byte 510)
// or a GPT header ("EFI PART" at byte 512, LBA 1). Otherwise it fails with
// "Failed to mount root filesystem" (exit 1 in one-shot mode; the manifest fails in the daemon).
//
// Manifest workflow (daemon mode): creates W/to_be_processed, processing, processed, failed and
// W/.stats; queues the .json/.yaml/.yml files already in to_be_processed/ and those created or
// moved in later (polled every 200 ms, not recursive). Like watchdog's handler in 0.2.0, a name
// that was queued by an event once is never queued by an event again while the daemon runs (a
// restart queues it from the start-up scan). A manifest moves to processing/ (a name already there
// gets _YYYYmmdd_HHMMSS before its extension; its stem is the job id), its output folder
// O/<YYYY-MM-DD>/<job id>/ is made, and it is validated by internal/h2kmanifest.Validate (the
// loader's rules and messages). Then the pipeline stages the manifest enables (pipeline.<stage>.
// enabled; absent means off, as in hyper2kvm): inspect (qemu-img info), fix (the rule above, on
// the boot disk: lowest boot_order_hint), convert (each disk → <dir>/<disk id>.<output.format>,
// where <dir> is output.directory or the dated folder; convert.compress → qemu-img -c), validate
// (qemu-img check). Success: processed/<date>/<name> and <name>.report.json, the pipeline's
// report.json, shaped as hyper2kvm's ManifestReporter writes it:
//
//	{"version":"1.0","timestamp":"…","pipeline":{"success":true,"duration_seconds":0.4,
//	  "stages":{"load_manifest":{"success":true,"result":{…}},"inspect":{…},"fix":{…},
//	  "convert":{"success":true,"result":{"converted_disks":[{"disk_id","output_path",
//	  "output_format","output_size_bytes","output_size_human","boot_order_hint"}],"compressed":false}},
//	  "validate":{…}}},
//	 "artifacts":[{"type":"converted_disk","path":"/…/disk-0.qcow2","disk_id":"disk-0",
//	  "format":"qcow2","size_bytes":…,"size_human":"…","boot_order_hint":0,"compressed":false}],
//	 "warnings":[],"errors":[],"input_manifest":{…},"hyper2kvm_version":"0.2.0","summary":{…}}
//
// (with HYPER2KVM_STANDIN_REPORT=minimal the pipeline writes no report.json and the daemon falls
// back to {"manifest":"<job id>","status":"completed","completed_at":"…"}, as 0.2.0 does).
// Failure: failed/<date>/<name> and <name>.error.json {"job_id","original_name","failed_at",
// "error","exception","status":"failed"}. Timestamps are local time, ISO 8601 without a zone.
// SIGTERM/SIGINT: stop queuing, let running manifests finish, exit 0 (a second signal exits at
// once, leaving its manifests in processing/, which a restarted daemon does not pick up again).
//
// Not emulated: the older disk-watch daemon (`--cmd daemon` without --manifest-workflow-mode
// exits 2 here), libguestfs' actual repairs, the exact text of Python's JSON/YAML parse errors
// (the stand-in says "Invalid JSON in manifest: <Go's reason>"), and the loader's own fallback of
// output/ beside the manifest (the workflow daemon always hands the pipeline its dated folder).
//
// Test switches (environment): HYPER2KVM_STANDIN_DELAY=2s holds every run/manifest that long
// before converting (after the move to processing/); HYPER2KVM_STANDIN_REPORT=minimal as above.
// Build it from a test with buildHyper2KVM(t) (cmd/hypervisord/hyper2kvm_standin_test.go).
package main

import (
	"fmt"
	"os"
)

// version is what `hyper2kvm --version` prints.
const version = "0.2.0"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(argv []string) int {
	args, code, err := parseArgs(argv)
	if err != nil {
		if code == 0 {
			fmt.Fprint(os.Stdout, err.Error())
			return 0
		}
		fmt.Fprint(os.Stderr, usage()+"hyper2kvm: error: "+err.Error()+"\n")
		return code
	}
	lg := newLogger(args.verbose)
	switch args.cmd {
	case "daemon":
		return runDaemon(args, lg)
	case "local", "ova", "ovf":
		return runOneShot(args, lg)
	default:
		lg.Errorf("Unknown --cmd %q (this stand-in runs local, ova, ovf and daemon)", args.cmd)
		return 2
	}
}
