package pipeline

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup starts cmd as the leader of a new process group, and makes its context's end
// kill that whole group: the tool and every process it started. The leader is also killed if the
// daemon dies first (a group of its own no longer dies with the daemon's), so a restarted daemon
// that runs the step again does not find it still writing.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
