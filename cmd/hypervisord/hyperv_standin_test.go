package main

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// hypervTools builds hypersdk-provider-hyperv and hypersdk-hyperv-standin (plugins/hyperv), once.
func hypervTools(t *testing.T) (plugins, standin string) {
	t.Helper()
	return cloudTools(t, "hyperv")
}

// hypervStandin is a running hypersdk-hyperv-standin: the WinRM stand-in of a Hyper-V host and
// a real smbd serving its export share, with one running VM whose disk's raw bytes are in Image.
type hypervStandin struct {
	Settings   map[string]any `json:"settings"`
	ControlURL string         `json:"control_url"`
	VMID       string         `json:"vm_id"`
	VMName     string         `json:"vm_name"`
	Image      string         `json:"image"`
	SizeBytes  int64          `json:"size_bytes"`
}

// hypervState is what exists on the stand-in host, and what it was asked to run.
type hypervState struct {
	Checkpoints []string       `json:"checkpoints"`
	Folders     []string       `json:"folders"`
	Scripts     []string       `json:"scripts"`
	Made        map[string]int `json:"made"` // checkpoints and export jobs made anew
	SMBBytes    int64          `json:"smb_bytes"`
	Problems    []string       `json:"problems"`
}

// startHypervStandin runs the stand-in with args until the test ends. Without smbd, root or
// qemu-img it cannot start: the test fails under CI=true and skips elsewhere.
func startHypervStandin(t *testing.T, bin string, args ...string) *hypervStandin {
	t.Helper()
	needQemuImg(t)
	_, err := os.Stat("/usr/sbin/smbd")
	providertest.NeedPeer(t, err == nil && os.Geteuid() == 0, "smbd as root (deploy/install-deps.sh --test installs samba)")
	var s hypervStandin
	if ok, stderr := runCloudStandin(t, bin, &s, args...); !ok || s.VMID == "" {
		t.Fatalf("hypersdk-hyperv-standin %v did not start: %s", args, stderr)
	}
	t.Cleanup(func() {
		for _, p := range s.state(t).Problems {
			t.Errorf("Hyper-V stand-in: %s", p)
		}
	})
	return &s
}

func (s *hypervStandin) state(t *testing.T) hypervState {
	t.Helper()
	var st hypervState
	getStandinJSON(t, s.ControlURL+"/state", &st)
	return st
}

// waitSMBBytes waits until the share has sent at least n bytes.
func (s *hypervStandin) waitSMBBytes(t *testing.T, n int64, within time.Duration) {
	t.Helper()
	waitStandin(t, fmt.Sprintf("%d bytes sent by the share", n), within, s.state, func(st hypervState) bool { return st.SMBBytes >= n })
}

// waitNothingLeft waits until the host holds no checkpoint of the VM and no export folder, and
// checks the scripts that removed them were sent.
func (s *hypervStandin) waitNothingLeft(t *testing.T) {
	t.Helper()
	var st hypervState
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if st = s.state(t); len(st.Checkpoints) == 0 && len(st.Folders) == 0 {
			break
		}
	}
	if len(st.Checkpoints) > 0 || len(st.Folders) > 0 {
		t.Errorf("left on the host: checkpoints %v, export folders %v", st.Checkpoints, st.Folders)
	}
	for _, script := range []string{"remove_checkpoint", "remove_export"} {
		if !slices.Contains(st.Scripts, script) {
			t.Errorf("the host never ran %s; it ran %v", script, st.Scripts)
		}
	}
}

// hypervDaemon starts a daemon whose only provider is hyperv, pointed at the stand-in, with
// export.max_retries retries, extra YAML under providers.hyperv and extra top-level sections.
func hypervDaemon(t *testing.T, plugins string, s *hypervStandin, retries int, extra, sections string) *daemon {
	t.Helper()
	keys := make([]string, 0, len(s.Settings))
	for k := range s.Settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var section strings.Builder
	for _, k := range keys {
		if strings.Contains(extra, "    "+k+":") {
			continue
		}
		v, err := json.Marshal(s.Settings[k]) // a JSON scalar is a YAML scalar
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&section, "    %s: %s\n", k, v)
	}
	return startDaemon(t, fmt.Sprintf(`daemon:
  address: 127.0.0.1:0
  log_format: json
  plugins_dir: %s
providers:
  hyperv:
%s%s
export:
  max_retries: %d
%s`, plugins, section.String(), extra, retries, sections))
}

// submitHypervExport submits an export of the stand-in's VM (raw, plus extra JSON fields) and
// returns the job's id.
func submitHypervExport(t *testing.T, d *daemon, s *hypervStandin, path, extra string) string {
	t.Helper()
	code, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier":"`+s.VMID+`","provider":"hyperv","export_method":"raw","export_path":"`+path+`"`+extra+`}`)
	if code != 202 {
		t.Fatalf("submit = %d %v", code, body)
	}
	return body["job_id"].(string)
}
