package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// ociStandin is a running hypersdk-oci-standin: Identity, Core, Work Requests and Object
// Storage stand-ins, verifying every request's signature, serving one instance with one boot
// volume.
type ociStandin struct {
	Endpoint    string `json:"endpoint"`
	Tenancy     string `json:"tenancy"`
	User        string `json:"user"`
	Fingerprint string `json:"fingerprint"`
	Region      string `json:"region"`
	KeyFile     string `json:"key_file"`
	Namespace   string `json:"namespace"`
	Bucket      string `json:"bucket"`
	StateURL    string `json:"state_url"`
	VMID        string `json:"vm_id"`
	Image       string `json:"image"`
}

// ociState is what exists in the stand-in's tenancy.
type ociState struct {
	Images        int      `json:"images"`
	PARs          int      `json:"pars"`
	Objects       []string `json:"objects"`
	ImagesCreated int      `json:"images_created"`
	Exports       int      `json:"exports"`
}

// startOCIStandin builds the plugin and stand-in (once) and runs the stand-in with args until
// the test ends.
func startOCIStandin(t *testing.T, args ...string) (plugins string, s *ociStandin) {
	t.Helper()
	plugins, bin := cloudTools(t, "oci")
	s = &ociStandin{}
	if ok, stderr := runCloudStandin(t, bin, s, args...); !ok || s.VMID == "" {
		t.Fatalf("hypersdk-oci-standin %v did not start: %s", args, stderr)
	}
	return plugins, s
}

func (s *ociStandin) state(t *testing.T) ociState {
	t.Helper()
	var st ociState
	getStandinJSON(t, s.StateURL+"/state", &st)
	return st
}

// waitState waits until ok holds for the stand-in's state.
func (s *ociStandin) waitState(t *testing.T, what string, within time.Duration, ok func(ociState) bool) ociState {
	t.Helper()
	return waitStandin(t, what, within, s.state, ok)
}

// ociDaemon starts a daemon whose only provider is oci, pointed at the stand-in and signing
// with its key file, with extra YAML at the top level.
func ociDaemon(t *testing.T, plugins string, s *ociStandin, extra string) *daemon {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	err := os.WriteFile(cfg, []byte(fmt.Sprintf(`
daemon:
  address: 127.0.0.1:0
  log_format: json
  plugins_dir: %s
providers:
  oci:
    tenancy: %s
    user: %s
    fingerprint: "%s"
    private_key_file: %s
    region: %s
    staging_namespace: %s
    staging_bucket: %s
    poll_interval: 50ms
    release_wait: 10s
    endpoint: %s
    objectstorage_endpoint: %s
%s
export:
  base_path: %s
  max_retries: 2
database:
  path: %s
`, plugins, s.Tenancy, s.User, s.Fingerprint, s.KeyFile, s.Region, s.Namespace, s.Bucket, s.Endpoint, s.Endpoint, extra,
		filepath.Join(dir, "exports"), filepath.Join(dir, "hypersdk.db"))), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return startDaemonWithConfig(t, cfg)
}
