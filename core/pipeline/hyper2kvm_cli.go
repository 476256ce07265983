package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// hyper2kvm's one-shot operations (its --cmd), each with the flag naming its input.
const (
	h2kLocal = "local" // one disk image: --vmdk
	h2kOVA   = "ova"   // an OVA archive: --ova
	h2kOVF   = "ovf"   // an OVF descriptor with its disks beside it: --ovf
)

// h2kInputFlag is the flag that names the input of each operation.
var h2kInputFlag = map[string]string{h2kLocal: "--vmdk", h2kOVA: "--ova", h2kOVF: "--ovf"}

// h2kTailLines is how many of hyper2kvm's last lines a failure quotes.
const h2kTailLines = 5

// h2kUsageExit is the exit status of an argument parser refusing its command line (Python's
// argparse): the installed hyper2kvm does not take the flags of the one this daemon was built for.
const h2kUsageExit = 2

// hyper2kvmRun is one run of hyper2kvm's one-shot conversion:
//
//	hyper2kvm --cmd <op> --vmdk|--ova|--ovf <input> --output-dir <dir> --flatten --to-output <name> --out-format <fmt> -v
//
// It writes the fixed and converted image to <dir>/<name>, and its scratch files under
// <dir>/work/. --flatten makes its fixer work on a copy, never on the input (the export).
type hyper2kvmRun struct {
	Op     string // h2kLocal, h2kOVA or h2kOVF
	Input  string // the disk, OVA or OVF
	OutDir string
	Name   string // the image's file name in OutDir: <vm>-disk<i>.<fmt>
	Format string // qcow2 or raw
}

// args is the run's command line, as hyper2kvm's argument parser takes it.
func (r hyper2kvmRun) args() []string {
	return []string{"--cmd", r.Op, h2kInputFlag[r.Op], r.Input, "--output-dir", r.OutDir,
		"--flatten", "--to-output", r.Name, "--out-format", r.Format, "-v"}
}

// runHyper2KVMCLI runs hyper2kvm at path as r says, each line it prints going into log as it
// comes. It runs in a process group of its own, killed whole when ctx ends (a cancel, a
// shutdown, hyper2kvm.job_timeout), so no qemu-img or libguestfs appliance it started outlives
// the job. A non-zero exit is an error quoting its last lines; an exit of 2 (its argument
// parser refusing the command line) is ErrUnsupported, which no retry can change.
func runHyper2KVMCLI(ctx context.Context, path string, r hyper2kvmRun, log hclog.Logger) error {
	cmd := exec.CommandContext(ctx, path, r.args()...)
	ownProcessGroup(cmd)
	// A killed hyper2kvm's children must not keep its output open and the step waiting.
	cmd.WaitDelay = 10 * time.Second
	stdout, stderr := newLineLog(log, "stdout"), newLineLog(log, "stderr")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	log.Info("running hyper2kvm", "path", path, "args", strings.Join(r.args(), " "))
	err := cmd.Run()
	stdout.flush()
	stderr.flush()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("hyper2kvm stopped: %w", context.Cause(ctx))
	}
	tail := stderr.tail()
	if len(tail) == 0 {
		tail = stdout.tail()
	}
	quoted := strings.Join(tail, " | ")
	if quoted == "" {
		quoted = "it printed nothing"
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == h2kUsageExit {
		return fmt.Errorf("%w: hyper2kvm at %s refused its command line (exit status 2; this daemon needs a hyper2kvm that takes --cmd %s %s): %s",
			provider.ErrUnsupported, path, r.Op, h2kInputFlag[r.Op], quoted)
	}
	return fmt.Errorf("hyper2kvm --cmd %s on %s: %w: %s", r.Op, r.Input, err, quoted)
}
