//go:build !linux

package pipeline

import "os/exec"

// ownProcessGroup leaves cmd as it is off Linux (the daemon's platform): its context's end
// kills the tool alone.
func ownProcessGroup(*exec.Cmd) {}
