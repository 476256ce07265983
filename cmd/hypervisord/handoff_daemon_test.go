package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Daemon mode end to end: the real daemon and test provider, and the hyper2kvm stand-in
// (testdata/hyper2kvm) running its manifest workflow on the instance's folder exactly as
// deploy/systemd/hyper2kvm@.service starts it.

// hoRig is a daemon handing off to instance "lab" of a temporary watch directory.
type hoRig struct {
	t                     *testing.T
	d                     *daemon
	base, watch, out, dir string
	h2k                   string // the stand-in, also hyper2kvm.path
}

func newHORig(t *testing.T, timeout string) *hoRig {
	t.Helper()
	r := &hoRig{t: t, base: t.TempDir(), watch: t.TempDir(), out: t.TempDir(), h2k: buildHyper2KVM(t)}
	r.dir = filepath.Join(r.watch, "lab")
	r.d = startDaemon(t, fmt.Sprintf(`
providers:
  testprovider:
    vm_count: 2
    boot_sector: true
    data_disks: 1
export:
  base_path: %s
hyper2kvm:
  path: %s
  watch_dir: %s
  output_dir: %s
  poll_interval: 100ms
  job_timeout: %s
`, r.base, r.h2k, r.watch, r.out, timeout))
	return r
}

// handOff submits a daemon-mode export of vm-001 and waits for the job to complete (at the
// hand-off), returning the job's id.
func (r *hoRig) handOff(method string) string {
	r.t.Helper()
	code, body, _ := r.d.do("POST", "/jobs/submit", fmt.Sprintf(`{"vm_identifier":"vm-001","provider":"testprovider","export_method":%q,
		"export_path":%q,"hyper2kvm_integration":{"enabled":true,"daemon_mode":true,"instance":"lab"}}`, method, filepath.Join(r.base, "vm-001-"+method)))
	if code != 200 && code != 201 && code != 202 {
		r.t.Fatalf("submit = %d %v", code, body)
	}
	id := body["job_id"].(string)
	if job := r.d.waitJob(id); job["status"] != "completed" {
		r.t.Fatalf("job = %v\n%s", job, r.d.text("/jobs/logs/"+id))
	}
	return id
}

// result waits until the job's hyper2kvm_status is one of want and returns its result.
func (r *hoRig) result(id string, want ...string) map[string]any {
	r.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	var res map[string]any
	for time.Now().Before(deadline) {
		_, j, _ := r.d.do("GET", "/jobs/query?job_id="+id, "")
		res, _ = j["result"].(map[string]any)
		for _, w := range want {
			if res != nil && res["hyper2kvm_status"] == w {
				return res
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.t.Fatalf("hyper2kvm_status never became %v: %v\n%s", want, res, r.d.text("/jobs/logs/"+id))
	return nil
}

// unitCommand is the ExecStart of deploy/systemd/hyper2kvm@.service for instance, with the
// unit's default paths (hypervisord's hyper2kvm.watch_dir and output_dir defaults) moved to
// watch and out, and the stand-in in place of /usr/local/bin/hyper2kvm.
func unitCommand(t *testing.T, standin, watch, out, instance string) []string {
	t.Helper()
	raw, err := os.ReadFile("../../deploy/systemd/hyper2kvm@.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := strings.ReplaceAll(string(raw), "\\\n", " ")
	unit = strings.NewReplacer("%i", instance, "/var/lib/hyper2kvm/watch", watch, "/var/lib/kvm/images", out).Replace(unit)
	env := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^Environment="([A-Z0-9_]+)=([^"]*)"$`).FindAllStringSubmatch(unit, -1) {
		env[m[1]] = m[2]
	}
	exec := regexp.MustCompile(`(?m)^ExecStart=(.*)$`).FindStringSubmatch(unit)
	if exec == nil {
		t.Fatal("hyper2kvm@.service has no ExecStart")
	}
	args := strings.Fields(os.Expand(exec[1], func(k string) string { return env[k] }))
	if args[0] != "/usr/local/bin/hyper2kvm" {
		t.Fatalf("the unit starts %s, not hyper2kvm", args[0])
	}
	return append([]string{standin}, args[1:]...)
}

// h2kProcess is the stand-in started as the unit starts it.
type h2kProcess struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  bytes.Buffer
	done chan struct{}
}

func (p *h2kProcess) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.Write(b)
}

func (r *hoRig) startHyper2KVM(env ...string) *h2kProcess {
	r.t.Helper()
	args := unitCommand(r.t, r.h2k, r.watch, r.out, "lab")
	p := &h2kProcess{cmd: exec.Command(args[0], args[1:]...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if err := p.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	r.t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
		if r.t.Failed() {
			p.mu.Lock()
			r.t.Logf("hyper2kvm stand-in log:\n%s", p.log.String())
			p.mu.Unlock()
		}
	})
	return p
}

// hoWaitLog polls the job's log until it holds want (for at most ten seconds) and returns it.
func hoWaitLog(d *daemon, id, want string) string {
	logs := d.text("/jobs/logs/" + id)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs, want) && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		logs = d.text("/jobs/logs/" + id)
	}
	return logs
}

func strs(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, s := range list {
		out = append(out, fmt.Sprint(s))
	}
	return out
}

// Each export method is handed over in a form hyper2kvm converts: the job completes at the
// hand-off, then follows the manifest to processed/<date>/ and records the converted images of
// hyper2kvm's report. The job log and /capabilities name the service and hyper2kvm's version.
func TestDaemonModeHyper2KVMConvertsEachMethod(t *testing.T) {
	t.Parallel()
	r := newHORig(t, "2h")
	r.startHyper2KVM()
	for _, method := range []string{"ova", "ovf", "vmdk"} {
		t.Run(method, func(t *testing.T) {
			id := r.handOff(method)
			res := r.result(id, "completed", "failed", "timed_out")
			if res["hyper2kvm_status"] != "completed" {
				t.Fatalf("hand-off = %v", res)
			}
			manifest := fmt.Sprint(res["hyper2kvm_manifest"])
			if ok, _ := filepath.Match(filepath.Join(r.dir, "processed", "*", id+".json"), manifest); !ok {
				t.Errorf("hyper2kvm_manifest = %s, want processed/<date>/%s.json", manifest, id)
			}
			if res["hyper2kvm_report"] != manifest+".report.json" || res["hyper2kvm_version"] != "0.2.0" || res["hyper2kvm_workflow_dir"] != r.dir {
				t.Errorf("hand-off = %v", res)
			}
			outputs := strs(res["hyper2kvm_outputs"])
			if len(outputs) != 2 {
				t.Fatalf("outputs = %v, want the boot and the data disk", outputs)
			}
			for i, o := range outputs {
				want := filepath.Join(r.out, "vm-001", id, fmt.Sprintf("disk-%d.qcow2", i))
				if o != want {
					t.Errorf("output %d = %s, want %s", i, o, want)
				}
				if format, _ := imageInfo(t, o); format != "qcow2" {
					t.Errorf("%s is %q, not a qcow2 image", o, format)
				}
			}
			if _, err := os.Stat(filepath.Join(r.base, "vm-001-ova", "hyper2kvm-"+id)); method == "ova" && !os.IsNotExist(err) {
				t.Errorf("the OVA's unpacked disks outlive the conversion: %v", err)
			}
			logs := hoWaitLog(r.d, id, "hyper2kvm converted the export")
			for _, want := range []string{"service=hyper2kvm@lab.service", "hyper2kvm_version=0.2.0", "hyper2kvm took the manifest"} {
				if !strings.Contains(logs, want) {
					t.Errorf("job log lacks %q:\n%s", want, logs)
				}
			}
		})
	}
	_, caps, _ := r.d.do("GET", "/capabilities", "")
	h, _ := caps["hyper2kvm"].(map[string]any)
	if h == nil || h["version"] != "0.2.0" || h["installed"] != true || h["watch_dir"] != r.watch {
		t.Fatalf("/capabilities hyper2kvm = %v", caps["hyper2kvm"])
	}
	var lab map[string]any
	for _, i := range h["instances"].([]any) {
		if m := i.(map[string]any); m["instance"] == "lab" {
			lab = m
		}
	}
	if lab == nil || lab["service"] != "hyper2kvm@lab.service" || lab["state"] == "" || lab["workflow_dir"] != r.dir {
		t.Errorf("/capabilities instances = %v", h["instances"])
	}
}

// hyper2kvm fails a manifest whose disk changed or vanished after the hand-off (here while its
// service was stopped); the job records the error hyper2kvm wrote.
func TestDaemonModeRecordsHyper2KVMsFailure(t *testing.T) {
	t.Parallel()
	r := newHORig(t, "2h")
	damaged := r.handOff("ovf")
	disks, _ := filepath.Glob(filepath.Join(r.base, "vm-001-ovf", "*.vmdk"))
	if len(disks) != 2 {
		t.Fatalf("exported disks = %v", disks)
	}
	f, err := os.OpenFile(disks[0], os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("bit rot"), 600) // inside the VMDK, so its size stays
	f.Close()
	missing := r.handOff("vmdk")
	data, _ := filepath.Glob(filepath.Join(r.base, "vm-001-vmdk", "*disk1*.vmdk"))
	if len(data) != 1 {
		t.Fatalf("data disk of the vmdk export: %v", data)
	}
	os.Remove(data[0])
	if res := r.result(damaged, "waiting"); res["hyper2kvm_manifest"] != filepath.Join(r.dir, "to_be_processed", damaged+".json") {
		t.Fatalf("with hyper2kvm stopped the manifest waits in to_be_processed/: %v", res)
	}

	r.startHyper2KVM()
	cases := []struct{ id, want string }{
		{damaged, "Checksum verification failed for disk disk-0"},
		{missing, "disks[1].local_path not found: " + data[0]},
	}
	for _, c := range cases {
		res := r.result(c.id, "completed", "failed", "timed_out")
		if res["hyper2kvm_status"] != "failed" || res["hyper2kvm_error"] != c.want {
			t.Errorf("hand-off = %v, want failed with %q", res, c.want)
		}
		if ok, _ := filepath.Match(filepath.Join(r.dir, "failed", "*", c.id+".json.error.json"), fmt.Sprint(res["hyper2kvm_report"])); !ok {
			t.Errorf("hyper2kvm_report = %v", res["hyper2kvm_report"])
		}
		if logs := hoWaitLog(r.d, c.id, "hyper2kvm failed the manifest"); !strings.Contains(logs, c.want) {
			t.Errorf("job log lacks hyper2kvm's error:\n%s", logs)
		}
	}
}

// A daemon stopped while hyper2kvm converts picks the hand-off up again when it starts, and
// records what hyper2kvm did meanwhile.
func TestDaemonModeFollowsAcrossARestart(t *testing.T) {
	t.Parallel()
	r := newHORig(t, "2h")
	r.startHyper2KVM("HYPER2KVM_STANDIN_DELAY=4s")
	id := r.handOff("vmdk")
	res := r.result(id, "converting")
	if ok, _ := filepath.Match(filepath.Join(r.dir, "processing", id+".json"), fmt.Sprint(res["hyper2kvm_manifest"])); !ok {
		t.Errorf("converting, the manifest is at %v", res["hyper2kvm_manifest"])
	}
	if err := r.d.stop(); err != nil {
		t.Fatal(err)
	}
	reports, err := filepath.Glob(filepath.Join(r.dir, "processed", "*", id+".json.report.json"))
	for deadline := time.Now().Add(60 * time.Second); len(reports) == 0 && err == nil && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		reports, err = filepath.Glob(filepath.Join(r.dir, "processed", "*", id+".json.report.json"))
	}
	if len(reports) != 1 {
		t.Fatalf("hyper2kvm wrote no report while hypervisord was down: %v %v", reports, err)
	}
	r.d = startDaemonWithConfig(t, r.d.configPath)
	res = r.result(id, "completed", "failed", "timed_out")
	if res["hyper2kvm_status"] != "completed" || len(strs(res["hyper2kvm_outputs"])) != 2 || res["hyper2kvm_report"] != reports[0] {
		t.Fatalf("after the restart the hand-off = %v", res)
	}
}

// At hyper2kvm.job_timeout a manifest hyper2kvm never took is withdrawn (so it is not converted
// behind the job's back) and one it is still converting is left to it; both say timed_out.
func TestDaemonModeTimesOut(t *testing.T) {
	t.Parallel()
	r := newHORig(t, "3s")
	id := r.handOff("vmdk")
	res := r.result(id, "timed_out", "completed", "failed")
	queued := filepath.Join(r.dir, "to_be_processed", id+".json")
	if res["hyper2kvm_status"] != "timed_out" || !strings.Contains(fmt.Sprint(res["hyper2kvm_error"]), "did not take the manifest within hyper2kvm.job_timeout") ||
		res["hyper2kvm_manifest"] != queued+".withdrawn" {
		t.Fatalf("hand-off = %v", res)
	}
	if _, err := os.Stat(queued); !os.IsNotExist(err) {
		t.Errorf("the manifest is still queued for hyper2kvm: %v", err)
	}
	if _, err := os.Stat(queued + ".withdrawn"); err != nil {
		t.Errorf("the withdrawn manifest is gone: %v", err)
	}

	r.startHyper2KVM("HYPER2KVM_STANDIN_DELAY=8s")
	slow := r.handOff("vmdk")
	res = r.result(slow, "timed_out", "completed", "failed")
	if res["hyper2kvm_status"] != "timed_out" || !strings.Contains(fmt.Sprint(res["hyper2kvm_error"]), "still converting") {
		t.Fatalf("hand-off = %v", res)
	}
	if got, _ := filepath.Glob(filepath.Join(r.dir, "processing", slow+".json")); len(got) != 1 {
		t.Errorf("the manifest hyper2kvm converts was touched: %v", got)
	}
}
