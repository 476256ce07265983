package providertest

import (
	"os"
	"os/exec"
	"testing"
)

// NeedTool returns the path of an external program a test drives (qemu-img, an emulator…).
// When it is missing, the test fails under CI (CI=true: the project's own setup must install
// it) and is skipped elsewhere, with the message saying how to get it.
func NeedTool(t testing.TB, name, install string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		NeedPeer(t, false, name+" not found ("+install+")")
	}
	return path
}

// NeedPeer does the same for a peer that is not a program on PATH, such as a daemon's socket.
func NeedPeer(t testing.TB, present bool, missing string) {
	t.Helper()
	if present {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal(missing)
	}
	t.Skip(missing)
}
