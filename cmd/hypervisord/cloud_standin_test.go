package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// A cloud provider's end-to-end tests run its plugin, alone in a plugins directory of its own
// (other tests' daemons do not load it), against its stand-in binary (plugins/<name>/cmd/
// hypersdk-<name>-standin): the platform's control plane as a test server, over the emulators
// that run here, printing its endpoints as one JSON line.

// cloudBuild is one provider's plugin and stand-in, built once per test process.
type cloudBuild struct {
	once                sync.Once
	pluginsDir, standin string
	err                 error
}

var cloudBuilds sync.Map // provider name → *cloudBuild

// cloudTools builds hypersdk-provider-<name> and hypersdk-<name>-standin from plugins/<name>
// next to the daemon binary, once.
func cloudTools(t *testing.T, name string) (plugins, standin string) {
	t.Helper()
	v, _ := cloudBuilds.LoadOrStore(name, &cloudBuild{})
	b := v.(*cloudBuild)
	b.once.Do(func() {
		root := filepath.Join(filepath.Dir(daemonBin), name)
		b.pluginsDir, b.standin = filepath.Join(root, "plugins.d"), filepath.Join(root, "hypersdk-"+name+"-standin")
		for out, pkg := range map[string]string{filepath.Join(b.pluginsDir, "hypersdk-provider-"+name): ".", b.standin: "./cmd/hypersdk-" + name + "-standin"} {
			cmd := exec.Command("go", "build", "-o", out, pkg)
			cmd.Dir = filepath.Join("../../plugins", name)
			if msg, err := cmd.CombinedOutput(); err != nil {
				b.err = fmt.Errorf("build %s of plugins/%s: %w %s", pkg, name, err, msg)
				return
			}
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.pluginsDir, b.standin
}

// runCloudStandin runs a stand-in with -dir (a folder of the test's) and args until the test ends —
// SIGTERM, and its stdin closed, so it stops with the test binary too — and decodes the JSON
// line it prints into v. When no such line comes it reports false and what the stand-in wrote
// to stderr before it exited.
func runCloudStandin(t *testing.T, bin string, v any, args ...string) (ok bool, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-dir", t.TempDir()}, args...)...)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var wait sync.Once
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		stdin.Close()
		wait.Do(func() { cmd.Wait() })
	})
	sc := bufio.NewScanner(stdout)
	if sc.Scan() && json.Unmarshal(sc.Bytes(), v) == nil {
		return true, ""
	}
	wait.Do(func() { cmd.Wait() })
	return false, errOut.String()
}

// getStandinJSON decodes what a stand-in's control server serves at url.
func getStandinJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(body, v) != nil {
		t.Fatalf("stand-in %s = %d %s", url, resp.StatusCode, body)
	}
}

// checkImportedDomain checks the end of a cloud provider's Pattern 1 job: its result names the
// domain on one converted disk, that disk holds the bytes of image (the platform's disk, raw),
// and the domain libvirt defined uses it on the test network.
func checkImportedDomain(t *testing.T, job map[string]any, name, image string) {
	t.Helper()
	res := job["result"].(map[string]any)
	converted, _ := res["converted"].([]any)
	if res["libvirt_domain"] != name || len(converted) != 1 {
		t.Fatalf("result = %v, want domain %s on one converted disk", res, name)
	}
	disk := converted[0].(string)
	format, _ := imageInfo(t, disk)
	if msg, err := exec.Command("qemu-img", "compare", "-f", "raw", "-F", format, image, disk).CombinedOutput(); err != nil {
		t.Fatalf("the domain's %s disk differs from the platform's disk: %v %s", format, err, msg)
	}
	xml, err := exec.Command("virsh", "-c", "qemu:///system", "dumpxml", name).Output()
	if err != nil || !strings.Contains(string(xml), disk) || !strings.Contains(string(xml), "network='"+testNetwork+"'") {
		t.Errorf("defined domain (%v) does not use %s on %s:\n%s", err, disk, testNetwork, xml)
	}
}

// waitStandin reads a stand-in's state every 20 ms until ok holds for it and returns it; past
// within, the test fails naming what it waited for and the last state read.
func waitStandin[T any](t *testing.T, what string, within time.Duration, read func(*testing.T) T, ok func(T) bool) T {
	t.Helper()
	var st T
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if st = read(t); ok(st) {
			return st
		}
	}
	t.Fatalf("not %s within %s: %+v", what, within, st)
	return st
}

// sameFile fails unless the two files hold the same bytes.
func sameFile(t *testing.T, got, want string) {
	t.Helper()
	a, err := os.Open(got)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := os.Open(want)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	bufA, bufB := make([]byte, 4<<20), make([]byte, 4<<20)
	for off := int64(0); ; off += int64(len(bufA)) {
		na, errA := io.ReadFull(a, bufA)
		nb, errB := io.ReadFull(b, bufB)
		if na != nb || !bytes.Equal(bufA[:na], bufB[:nb]) {
			t.Fatalf("%s differs from %s in the 4 MiB from offset %d", got, want, off)
		}
		if errA != nil || errB != nil {
			return
		}
	}
}

// patternOneSections is the daemon config a cloud Pattern 1 test adds: hyper2kvm's folders and
// libvirt (TCG, NVRAM under the output folder), all in the test's temporary directories.
func patternOneSections(t *testing.T) string {
	out := t.TempDir()
	return fmt.Sprintf(`hyper2kvm:
  output_dir: %s
  watch_dir: %s
libvirt:
  domain_type: qemu
  nvram_dir: %s`, out, t.TempDir(), filepath.Join(out, "nvram"))
}

// runPatternOne submits the seed's Pattern 1 for vmID of provider (export with method,
// convert, import as a small domain on the test network) and returns the ended job; a domain
// it defined under another name than name is undefined when the test ends.
func runPatternOne(t *testing.T, d *daemon, provider, vmID, method, name string) map[string]any {
	t.Helper()
	code, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier": "`+vmID+`", "provider": "`+provider+`", "export_method": "`+method+`", "export_path": "p1",
		"hyper2kvm_integration": {"enabled": true, "auto_convert": true, "daemon_mode": false},
		"import": {"network": "`+testNetwork+`", "memory_mb": 256, "vcpus": 1}}`)
	if code != 202 {
		t.Fatalf("submit = %d %v", code, body)
	}
	job := d.waitJob(body["job_id"].(string))
	if dom, _ := job["result"].(map[string]any)["libvirt_domain"].(string); dom != "" && dom != name {
		undefineLater(t, dom)
	}
	return job
}
