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
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// azureBuilt holds the Azure provider plugin, alone in its own plugins directory (other
// tests' daemons do not load it), and the stand-in "Azure VM", built once for the tests that
// use them.
var azureBuilt struct {
	once              sync.Once
	pluginsDir, stand string
	err               error
}

// azureTools builds hypersdk-provider-azure and hypersdk-azure-standin (plugins/azure) next to
// the daemon binary, once.
func azureTools(t *testing.T) (plugins, standin string) {
	t.Helper()
	b := &azureBuilt
	b.once.Do(func() {
		root := filepath.Join(filepath.Dir(daemonBin), "azure")
		b.pluginsDir, b.stand = filepath.Join(root, "plugins.d"), filepath.Join(root, "hypersdk-azure-standin")
		for out, pkg := range map[string]string{filepath.Join(b.pluginsDir, "hypersdk-provider-azure"): ".", b.stand: "./cmd/hypersdk-azure-standin"} {
			cmd := exec.Command("go", "build", "-o", out, pkg)
			cmd.Dir = "../../plugins/azure"
			if msg, err := cmd.CombinedOutput(); err != nil {
				b.err = fmt.Errorf("build %s: %w %s", pkg, err, msg)
				return
			}
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.pluginsDir, b.stand
}

// azureStandin is a running hypersdk-azure-standin: the ARM stand-in over Azurite with one
// running VM of one managed disk whose raw bytes are in Image.
type azureStandin struct {
	SubscriptionID          string `json:"subscription_id"`
	ResourceManagerEndpoint string `json:"resource_manager_endpoint"`
	AccessToken             string `json:"access_token"`
	ControlURL              string `json:"control_url"`
	VMID                    string `json:"vm_id"`
	VMName                  string `json:"vm_name"`
	Disk                    string `json:"disk"`
	Image                   string `json:"image"`
	SizeBytes               int64  `json:"size_bytes"`
}

// azureState is what exists in the stand-in: snapshots, and those with an open grant.
type azureState struct {
	Snapshots []string `json:"snapshots"`
	Grants    []string `json:"grants"`
}

// startAzureStandin runs the stand-in with args until the test ends (SIGTERM: it stops
// Azurite). Without Azurite the stand-in cannot start: the test fails under CI=true and skips
// elsewhere.
func startAzureStandin(t *testing.T, bin string, args ...string) *azureStandin {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"-dir", t.TempDir()}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe() // closed when the test binary dies: the stand-in stops too
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
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		stdin.Close()
		cmd.Wait()
	})
	sc := bufio.NewScanner(stdout)
	var s azureStandin
	if !sc.Scan() || json.Unmarshal(sc.Bytes(), &s) != nil || s.VMID == "" {
		cmd.Wait()
		providertest.NeedPeer(t, !bytes.Contains(stderr.Bytes(), []byte("azurite-blob not found")),
			"azurite-blob not found (deploy/install-deps.sh --test installs it under bin/tools/azurite)")
		t.Fatalf("hypersdk-azure-standin %v did not start: %s", args, stderr.String())
	}
	return &s
}

// getJSON decodes what the stand-in's control server serves at path.
func (s *azureStandin) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	resp, err := http.Get(s.ControlURL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(body, v) != nil {
		t.Fatalf("stand-in %s = %d %s", path, resp.StatusCode, body)
	}
}

func (s *azureStandin) state(t *testing.T) azureState {
	t.Helper()
	var st azureState
	s.getJSON(t, "/state", &st)
	return st
}

// reads is how many ranged reads of grant blobs the stand-in has served.
func (s *azureStandin) reads(t *testing.T) int64 {
	t.Helper()
	var r struct {
		Gets int64 `json:"gets"`
	}
	s.getJSON(t, "/reads", &r)
	return r.Gets
}

// waitReads waits until the stand-in has served at least n ranged reads.
func (s *azureStandin) waitReads(t *testing.T, n int64, within time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if s.reads(t) >= n {
			return
		}
	}
	t.Fatalf("fewer than %d ranged reads within %s", n, within)
}

// waitNothingLeft waits until the stand-in holds no snapshot and no grant.
func (s *azureStandin) waitNothingLeft(t *testing.T) {
	t.Helper()
	var st azureState
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if st = s.state(t); len(st.Snapshots) == 0 && len(st.Grants) == 0 {
			return
		}
	}
	t.Errorf("left in the subscription: snapshots %v, grants %v", st.Snapshots, st.Grants)
}

// azureDaemon starts a daemon whose only provider is azure, pointed at the stand-in, with
// export.max_retries retries, extra YAML under providers.azure and extra top-level sections.
func azureDaemon(t *testing.T, plugins string, s *azureStandin, retries int, extra, sections string) *daemon {
	t.Helper()
	return startDaemon(t, fmt.Sprintf(`daemon:
  address: 127.0.0.1:0
  log_format: json
  plugins_dir: %s
providers:
  azure:
    subscription_id: %s
    credential: access_token
    access_token: %s
    resource_manager_endpoint: %s
    poll_interval: 20ms
    chunk_size_mb: 1
%s
export:
  max_retries: %d
%s`, plugins, s.SubscriptionID, s.AccessToken, s.ResourceManagerEndpoint, extra, retries, sections))
}

// sameDisk fails unless the file at got holds the bytes of the raw image at want.
func sameDisk(t *testing.T, got, want string) {
	t.Helper()
	a, err := os.ReadFile(got)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("%s holds %d bytes, the disk %d", got, len(a), len(b))
	}
	for off := 0; off < len(a); off += 1 << 20 {
		end := min(off+1<<20, len(a))
		if !bytes.Equal(a[off:end], b[off:end]) {
			t.Fatalf("%s differs from the disk in the MiB at offset %d", got, off)
		}
	}
}
