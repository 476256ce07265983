package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// awsTools builds hypersdk-provider-aws and hypersdk-aws-standin (plugins/aws), once.
func awsTools(t *testing.T) (plugins, standin string) {
	t.Helper()
	providertest.NeedTool(t, "moto_server", "pip install 'moto[server]'; deploy/install-deps.sh --test checks it")
	return cloudTools(t, "aws")
}

// awsStandin is a running hypersdk-aws-standin: an EC2 instance in moto whose root volume's
// snapshots are served, block by block, by the EBS direct test server.
type awsStandin struct {
	Region      string `json:"region"`
	EC2Endpoint string `json:"ec2_endpoint"`
	EBSEndpoint string `json:"ebs_endpoint"`
	CountsURL   string `json:"counts_url"`
	InstanceID  string `json:"instance_id"`
	VolumeID    string `json:"volume_id"`
	Image       string `json:"image"`
	Blocks      int    `json:"blocks"`
}

// ebsCounts is the stand-in's count of EBS direct requests.
type ebsCounts struct {
	Gets  map[string]int `json:"gets"` // "snapshot/index" → GetSnapshotBlock requests
	All   int            `json:"all"`
	Lists int            `json:"lists"`
}

// startAWSStandin runs the stand-in with args until the test ends (SIGTERM: it stops moto).
func startAWSStandin(t *testing.T, bin string, args ...string) *awsStandin {
	t.Helper()
	var s awsStandin
	if ok, stderr := runCloudStandin(t, bin, &s, args...); !ok || s.InstanceID == "" {
		t.Fatalf("hypersdk-aws-standin %v did not start: %s", args, stderr)
	}
	return &s
}

// getJSON decodes what the stand-in serves at path.
func (s *awsStandin) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	getStandinJSON(t, s.CountsURL+path, v)
}

func (s *awsStandin) counts(t *testing.T) ebsCounts {
	t.Helper()
	var c ebsCounts
	s.getJSON(t, "/counts", &c)
	return c
}

// snapshots lists the ids of the snapshots of the instance's volume.
func (s *awsStandin) snapshots(t *testing.T) []string {
	t.Helper()
	var ids []string
	s.getJSON(t, "/snapshots", &ids)
	return ids
}

// waitGets waits until the EBS direct server has served at least n block reads.
func (s *awsStandin) waitGets(t *testing.T, n int, within time.Duration) {
	t.Helper()
	waitStandin(t, fmt.Sprintf("%d blocks read", n), within, s.counts, func(c ebsCounts) bool { return c.All >= n })
}

// awsDaemon starts a daemon whose only provider is aws, pointed at the stand-in, with extra
// YAML under providers.aws.
func awsDaemon(t *testing.T, plugins string, s *awsStandin, extra string) *daemon {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	err := os.WriteFile(cfg, []byte(fmt.Sprintf(`
daemon:
  address: 127.0.0.1:0
  log_format: json
  plugins_dir: %s
providers:
  aws:
    region: %s
    ec2_endpoint: %s
    ebs_endpoint: %s
    access_key_id: AKIDTEST
    secret_access_key: SECRETTEST
    snapshot_poll_interval: 50ms
    retry_max_backoff: 100ms
%s
export:
  base_path: %s
  max_retries: 2
database:
  path: %s
`, plugins, s.Region, s.EC2Endpoint, s.EBSEndpoint, extra, filepath.Join(dir, "exports"), filepath.Join(dir, "hypersdk.db"))), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return startDaemonWithConfig(t, cfg)
}
