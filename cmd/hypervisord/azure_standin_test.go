package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// azureTools builds hypersdk-provider-azure and hypersdk-azure-standin (plugins/azure), once.
func azureTools(t *testing.T) (plugins, standin string) {
	t.Helper()
	return cloudTools(t, "azure")
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
	var s azureStandin
	if ok, stderr := runCloudStandin(t, bin, &s, args...); !ok || s.VMID == "" {
		providertest.NeedPeer(t, !strings.Contains(stderr, "azurite-blob not found"),
			"azurite-blob not found (deploy/install-deps.sh --test installs it under bin/tools/azurite)")
		t.Fatalf("hypersdk-azure-standin %v did not start: %s", args, stderr)
	}
	return &s
}

// getJSON decodes what the stand-in's control server serves at path.
func (s *azureStandin) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	getStandinJSON(t, s.ControlURL+path, v)
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
	waitStandin(t, fmt.Sprintf("%d ranged reads", n), within, s.reads, func(got int64) bool { return got >= n })
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
