package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
)

// benchTools builds the standalone vCenter simulator and govc (its export commands only) for
// the benchmarks that compare hypervisord with govc against the same simulator.
func benchTools(b *testing.B) (vcsimBin, govc string) {
	b.Helper()
	tools := b.TempDir()
	vcsimBin, govc = filepath.Join(tools, "hypersdk-vcsim"), filepath.Join(tools, "govc")
	for out, pkg := range map[string]string{vcsimBin: "./cmd/hypersdk-vcsim", govc: "./internal/govcbench"} {
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir = "../../plugins/vsphere"
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("build %s: %v %s", pkg, err, msg)
		}
	}
	return vcsimBin, govc
}

// vcsimProc is a running hypersdk-vcsim and how to log in to it.
type vcsimProc struct {
	url, username, password string
	stop                    func() // kills it; safe to call more than once
}

// startVcsim runs the simulator binary with args and waits until it prints its credentials
// (dense disks take it a minute to make). It is killed when b ends, or earlier by stop.
func startVcsim(b *testing.B, bin string, args ...string) *vcsimProc {
	b.Helper()
	sim := exec.Command(bin, args...)
	var stderr bytes.Buffer
	sim.Stderr = &stderr
	stdout, err := sim.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := sim.Start(); err != nil {
		b.Fatal(err)
	}
	var once sync.Once
	stop := func() { once.Do(func() { sim.Process.Kill(); sim.Wait() }) }
	b.Cleanup(stop)
	creds := map[string]string{}
	sc := bufio.NewScanner(stdout)
	for len(creds) < 3 && sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ": ")
		creds[k] = v
	}
	if len(creds) < 3 {
		stop()
		b.Fatalf("hypersdk-vcsim %v did not start: %s", args, stderr.String())
	}
	return &vcsimProc{url: creds["url"], username: creds["username"], password: creds["password"], stop: stop}
}

// vsphereConfig is the daemon configuration that exports from this simulator into base.
func (v *vcsimProc) vsphereConfig(base string) string {
	return fmt.Sprintf(`
providers:
  vsphere:
    host: "%s"
    username: "%s"
    password: "%s"
    insecure: true
export:
  base_path: %s
`, v.url, v.username, v.password, base)
}

// govcExport runs `govc export.ovf` of vm into dir.
func (v *vcsimProc) govcExport(b *testing.B, govc, vm, dir string) {
	b.Helper()
	cmd := exec.Command(govc, "export.ovf", "-vm", vm, dir)
	cmd.Env = append(os.Environ(), "GOVC_URL="+v.url, "GOVC_USERNAME="+v.username, "GOVC_PASSWORD="+v.password, "GOVC_INSECURE=1")
	if msg, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("govc: %v %s", err, msg)
	}
}

// syncTree fsyncs every regular file under dir.
func syncTree(dir string) {
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			diskfile.Sync(p)
		}
		return nil
	})
}
