package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// gcpTools builds hypersdk-provider-gcp and hypersdk-gcp-standin (plugins/gcp), once.
func gcpTools(t *testing.T) (plugins, standin string) {
	t.Helper()
	return cloudTools(t, "gcp")
}

// gcpStandin is a running hypersdk-gcp-standin: Compute Engine and Cloud Build stand-ins and
// fake-gcs-server serving one instance with one boot disk.
type gcpStandin struct {
	Project            string `json:"project"`
	Bucket             string `json:"bucket"`
	ComputeEndpoint    string `json:"compute_endpoint"`
	CloudBuildEndpoint string `json:"cloudbuild_endpoint"`
	StorageEndpoint    string `json:"storage_endpoint"`
	StateURL           string `json:"state_url"`
	VMID               string `json:"vm_id"`
	Image              string `json:"image"`
}

// gcpState is what exists in the stand-in's project.
type gcpState struct {
	Snapshots     int      `json:"snapshots"`
	Images        int      `json:"images"`
	RunningBuilds int      `json:"running_builds"`
	Builds        int      `json:"builds"`
	Objects       []string `json:"objects"`
}

// startGCPStandin runs the stand-in with args until the test ends.
func startGCPStandin(t *testing.T, bin string, args ...string) *gcpStandin {
	t.Helper()
	var s gcpStandin
	if ok, stderr := runCloudStandin(t, bin, &s, args...); !ok || s.VMID == "" {
		t.Fatalf("hypersdk-gcp-standin %v did not start: %s", args, stderr)
	}
	return &s
}

// state reads what exists in the stand-in's project now.
func (s *gcpStandin) state(t *testing.T) gcpState {
	t.Helper()
	var st gcpState
	getStandinJSON(t, s.StateURL+"/state", &st)
	return st
}

// waitState waits until ok holds for the stand-in's state.
func (s *gcpStandin) waitState(t *testing.T, what string, within time.Duration, ok func(gcpState) bool) gcpState {
	t.Helper()
	return waitStandin(t, what, within, s.state, ok)
}

// gcpDaemon starts a daemon whose only provider is gcp, pointed at the stand-in, with extra
// YAML under providers.gcp.
func gcpDaemon(t *testing.T, plugins string, s *gcpStandin, extra string) *daemon {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	err := os.WriteFile(cfg, []byte(fmt.Sprintf(`
daemon:
  address: 127.0.0.1:0
  log_format: json
  plugins_dir: %s
providers:
  gcp:
    project: %s
    staging_bucket: %s
    anonymous: true
    poll_interval: 50ms
    compute_endpoint: %s
    cloudbuild_endpoint: %s
    storage_endpoint: %s
%s
export:
  base_path: %s
  max_retries: 2
database:
  path: %s
`, plugins, s.Project, s.Bucket, s.ComputeEndpoint, s.CloudBuildEndpoint, s.StorageEndpoint, extra,
		filepath.Join(dir, "exports"), filepath.Join(dir, "hypersdk.db"))), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return startDaemonWithConfig(t, cfg)
}
