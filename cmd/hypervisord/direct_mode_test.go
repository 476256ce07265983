package main

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Direct mode (auto_convert without daemon_mode, hyper2kvm at hyper2kvm.path) runs hyper2kvm's
// one-shot conversion — here the stand-in (testdata/hyper2kvm), which parses its flags as the
// real tool does and whose fixer fails on a disk without an MBR or GPT signature. The test
// provider's boot_sector setting gives the boot disk that signature; data_disks adds disks
// without it.

// directModeDaemon starts a daemon with the test provider (provider: more lines of its section)
// and hyper2kvm at h2k, converting into out; a failed job is not retried.
func directModeDaemon(t *testing.T, h2k, out, provider string) (d *daemon, base string) {
	t.Helper()
	return startDirectMode(t, h2k, out, provider, "2m")
}

// startDirectMode is directModeDaemon with hyper2kvm.job_timeout set to timeout.
func startDirectMode(t *testing.T, h2k, out, provider, timeout string) (d *daemon, base string) {
	t.Helper()
	base = t.TempDir()
	return startDaemon(t, fmt.Sprintf(`
providers:
  testprovider:
    disk_size_bytes: 3145728
%s
export:
  base_path: %s
  max_retries: 0
hyper2kvm:
  path: %s
  output_dir: %s
  job_timeout: %s
`, provider, base, h2k, out, timeout)), base
}

// submitDirect submits a direct-mode export of vm (extra: more fields of the request, which
// may replace its hyper2kvm_integration block) and waits for its end.
func submitDirect(t *testing.T, d *daemon, vm, method, extra string) (job map[string]any, logs string) {
	t.Helper()
	if !strings.Contains(extra, `"hyper2kvm_integration"`) {
		extra += `, "hyper2kvm_integration": {"enabled": true, "auto_convert": true, "daemon_mode": false}`
	}
	code, body, _ := d.do("POST", "/jobs/submit", fmt.Sprintf(`{"vm_identifier": %q, "provider": "testprovider", "export_method": %q,
		"export_path": %q%s}`, vm, method, vm, extra))
	if code != 202 {
		t.Fatalf("submit = %d %v", code, body)
	}
	id := body["job_id"].(string)
	job = d.waitJob(id)
	return job, d.text("/jobs/logs/" + id)
}

// exportedDisks are the exported disks of a job, in disk order, as files a test can compare:
// a member of the OVA is copied out.
func exportedDisks(t *testing.T, dir string) []string {
	t.Helper()
	if ova, _ := filepath.Glob(filepath.Join(dir, "*.ova")); len(ova) == 1 {
		return ovaDisks(t, ova[0])
	}
	disks, err := filepath.Glob(filepath.Join(dir, "*-disk*.vmdk"))
	if err != nil || len(disks) == 0 {
		t.Fatalf("no exported disks in %s (%v)", dir, err)
	}
	slices.Sort(disks)
	return disks
}

// ovaDisks copies every .vmdk member of an OVA into a temporary file, in archive order (the
// order the descriptor lists them).
func ovaDisks(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dir := t.TempDir()
	var disks []string
	for tr := tar.NewReader(f); ; {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return disks
		}
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Ext(h.Name) != ".vmdk" {
			continue
		}
		p := filepath.Join(dir, filepath.Base(h.Name))
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		disks = append(disks, p)
	}
}

// checkConverted checks a completed direct-mode job: its converted images are qcow2 files
// <out>/<vm>/<vm>-disk<i>.qcow2 with the exported disks' content, alone in that folder
// (hyper2kvm's work/ and the job's claim gone).
func checkConverted(t *testing.T, job map[string]any, out, base, vm string, disks int) {
	t.Helper()
	var converted []string
	for _, c := range job["result"].(map[string]any)["converted"].([]any) {
		converted = append(converted, c.(string))
	}
	var want []string
	for i := range disks {
		want = append(want, filepath.Join(out, vm, fmt.Sprintf("%s-disk%d.qcow2", vm, i)))
	}
	if !slices.Equal(converted, want) {
		t.Fatalf("converted = %v, want %v", converted, want)
	}
	sources := exportedDisks(t, filepath.Join(base, vm))
	if len(sources) != disks {
		t.Fatalf("exported disks = %v, want %d", sources, disks)
	}
	for i, img := range converted {
		if f := imageFormat(t, img); f != "qcow2" {
			t.Errorf("disk %d: %s is %s, want qcow2", i, img, f)
		}
		if !sameImage(t, sources[i], img) {
			t.Errorf("disk %d: %s does not hold the content of the exported %s", i, img, sources[i])
		}
	}
	left, _ := filepath.Glob(filepath.Join(out, vm, "*"))
	hidden, _ := filepath.Glob(filepath.Join(out, vm, ".*"))
	if left = append(left, hidden...); !slices.Equal(sortedCopy(left), sortedCopy(want)) {
		t.Errorf("the output folder holds %v, want only the images %v", left, want)
	}
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// A VM of one disk goes to hyper2kvm as it was exported: the OVA (--cmd ova), the OVF
// (--cmd ovf) or the disk (--cmd local). hyper2kvm's image is the job's, with the disk's
// content, and hyper2kvm's lines are in the job log.
func TestDirectModeRunsHyper2KVM(t *testing.T) {
	t.Parallel()
	h2k := buildHyper2KVM(t)
	out := t.TempDir()
	d, base := directModeDaemon(t, h2k, out, "    vm_count: 3\n    boot_sector: true")
	for i, tc := range []struct{ method, op string }{
		{"ova", "--cmd ova --ova " + base + "/vm-001/vm-001.ova"},
		{"ovf", "--cmd ovf --ovf " + base + "/vm-002/vm-002.ovf"},
		{"vmdk", "--cmd local --vmdk " + base + "/vm-003/vm-003-disk0.vmdk"},
	} {
		vm := fmt.Sprintf("vm-%03d", i+1)
		t.Run(tc.method, func(t *testing.T) {
			t.Parallel()
			job, logs := submitDirect(t, d, vm, tc.method, "")
			if job["status"] != "completed" {
				t.Fatalf("job = %v\nlogs:\n%s", job, logs)
			}
			checkConverted(t, job, out, base, vm, 1)
			for _, want := range []string{
				tc.op + " --output-dir " + filepath.Join(out, vm, ".hyper2kvm") + " --flatten --to-output " + vm + "-disk0.qcow2 --out-format qcow2 -v",
				"stream=stderr", "Guest found (MBR partition table)", // hyper2kvm's own lines
				"boot disk fixed and converted by hyper2kvm",
			} {
				if !strings.Contains(logs, want) {
					t.Errorf("job log lacks %q:\n%s", want, logs)
				}
			}
		})
	}
}

// hyper2kvm's fixer cannot open a boot disk without an operating system: the job fails with
// hyper2kvm's last lines, and nothing it or the job wrote stays in the output folder.
func TestDirectModeFailsWithHyper2KVMsError(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	d, _ := directModeDaemon(t, buildHyper2KVM(t), out, "    vm_count: 1") // no boot_sector: no OS on the disk
	job, logs := submitDirect(t, d, "vm-001", "ova", "")
	if job["status"] != "failed" || job["attempts"] != 1.0 {
		t.Fatalf("job = %v\nlogs:\n%s", job, logs)
	}
	msg, _ := job["error"].(string)
	for _, want := range []string{"boot disk 0", "exit status 1", "Failed to mount root filesystem"} {
		if !strings.Contains(msg, want) {
			t.Errorf("job error %q lacks %q", msg, want)
		}
	}
	if !strings.Contains(logs, "No operating system found") {
		t.Errorf("job log lacks hyper2kvm's lines:\n%s", logs)
	}
	if left, _ := os.ReadDir(out); len(left) != 0 {
		t.Errorf("the failed job left %v in hyper2kvm.output_dir", left)
	}
}

// Data disks do not go through hyper2kvm (its fixer would fail on them): hyper2kvm converts the
// boot disk alone — copied out of a multi-disk OVA first — and the daemon converts the others
// with qemu-img, saying so in the job log for each.
func TestDirectModeConvertsDataDisksItself(t *testing.T) {
	t.Parallel()
	h2k := buildHyper2KVM(t)
	out := t.TempDir()
	d, base := directModeDaemon(t, h2k, out, "    vm_count: 3\n    boot_sector: true\n    data_disks: 2")
	for i, method := range []string{"ova", "ovf", "vmdk"} {
		vm := fmt.Sprintf("vm-%03d", i+1)
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			job, logs := submitDirect(t, d, vm, method, "")
			if job["status"] != "completed" {
				t.Fatalf("job = %v\nlogs:\n%s", job, logs)
			}
			checkConverted(t, job, out, base, vm, 3)
			if n := strings.Count(logs, "running hyper2kvm"); n != 1 || !strings.Contains(logs, "--cmd local --vmdk ") {
				t.Errorf("hyper2kvm ran %d times, want once with --cmd local:\n%s", n, logs)
			}
			for disk := 1; disk <= 2; disk++ {
				if !strings.Contains(logs, fmt.Sprintf("data disk: converting it with qemu-img, not hyper2kvm, whose fixer cannot open a disk without an operating system disk=%d ", disk)) {
					t.Errorf("job log does not say data disk %d is converted by the daemon:\n%s", disk, logs)
				}
			}
		})
	}
}

// With an import block, the daemon's domain XML and libvirt definition follow hyper2kvm's
// conversion, on every disk; an import libvirt refuses fails the job and takes the converted
// disks with it, as after the built-in conversion.
func TestDirectModeImports(t *testing.T) {
	t.Parallel()
	needLibvirt(t)
	h2k := buildHyper2KVM(t)
	out := t.TempDir()
	// The test provider's VMs are named vm-NNN and libvirt's domains are shared by every test
	// on the host: this test imports a VM number no other test uses.
	const vm = "vm-047"
	d, _ := directModeDaemon(t, h2k, out, "    vm_count: 48\n    boot_sector: true\n    data_disks: 1")
	t.Run("refused", func(t *testing.T) {
		job, logs := submitDirect(t, d, "vm-046", "ova", `, "import": {"network": "hypersdk-no-such-network"}`)
		if job["status"] != "failed" || !strings.Contains(fmt.Sprint(job["error"]), "network") {
			t.Fatalf("job = %v\nlogs:\n%s", job, logs)
		}
		if left, _ := filepath.Glob(filepath.Join(out, "vm-046", "*")); len(left) != 0 {
			t.Errorf("converted files left behind: %v", left)
		}
	})
	t.Run("defined", func(t *testing.T) {
		undefineLater(t, vm)
		job, logs := submitDirect(t, d, vm, "ova", `, "import": {"network": "`+testNetwork+`", "memory_mb": 256, "vcpus": 1}`)
		if job["status"] != "completed" {
			t.Fatalf("job = %v\nlogs:\n%s", job, logs)
		}
		res := job["result"].(map[string]any)
		if res["libvirt_domain"] != vm {
			t.Fatalf("result = %v", res)
		}
		xml, err := exec.Command("virsh", "-c", "qemu:///system", "dumpxml", vm).Output()
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			if img := filepath.Join(out, vm, fmt.Sprintf("%s-disk%d.qcow2", vm, i)); !strings.Contains(string(xml), img) {
				t.Errorf("the domain lacks disk %s:\n%s", img, xml)
			}
		}
		if xmlFile := filepath.Join(out, vm, vm+".xml"); res["domain_xml"] != xmlFile {
			t.Errorf("domain_xml = %v, want %s", res["domain_xml"], xmlFile)
		}
		if !strings.Contains(logs, "stage started stage=importing") {
			t.Errorf("job log lacks the import:\n%s", logs)
		}
	})
}

// A job stopped while hyper2kvm runs — cancelled, or past hyper2kvm.job_timeout — kills
// hyper2kvm and every process it started, at once, and removes what it wrote.
func TestDirectModeStopsHyper2KVM(t *testing.T) {
	t.Parallel()
	// hyper2kvm holds on for a minute after flattening the disk, as a slow fixer would.
	slow := filepath.Join(t.TempDir(), "hyper2kvm")
	script := "#!/bin/sh\nHYPER2KVM_STANDIN_DELAY=60s exec " + buildHyper2KVM(t) + " \"$@\"\n"
	if err := os.WriteFile(slow, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		timeout string // hyper2kvm.job_timeout
		cancel  bool
		status  string
		error   string
	}{
		{name: "cancelled", timeout: "2m", cancel: true, status: "cancelled"},
		{name: "past hyper2kvm.job_timeout", timeout: "4s", status: "failed", error: "job exceeded hyper2kvm.job_timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := t.TempDir()
			d, _ := startDirectMode(t, slow, out, "    vm_count: 1\n    boot_sector: true", tc.timeout)
			code, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier": "vm-001", "provider": "testprovider", "export_method": "vmdk",
				"hyper2kvm_integration": {"enabled": true, "auto_convert": true}}`)
			if code != 202 {
				t.Fatalf("submit = %d %v", code, body)
			}
			id := body["job_id"].(string)
			scratch := filepath.Join(out, "vm-001", ".hyper2kvm")
			deadline := time.Now().Add(time.Minute)
			for !strings.Contains(d.text("/jobs/logs/"+id), "Flattening") || len(processesNaming(t, scratch)) == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("hyper2kvm did not start:\n%s", d.text("/jobs/logs/"+id))
				}
				time.Sleep(50 * time.Millisecond)
			}
			start := time.Now()
			if tc.cancel {
				if code, job, _ := d.do("POST", "/jobs/cancel/"+id, ""); code != 200 {
					t.Fatalf("cancel = %d %v", code, job)
				}
			}
			job := d.waitJob(id)
			if job["status"] != tc.status || !strings.Contains(fmt.Sprint(job["error"]), tc.error) {
				t.Fatalf("job = %v, want %s with %q", job, tc.status, tc.error)
			}
			if took := time.Since(start); took > 20*time.Second {
				t.Errorf("the job took %s to end: it waited for hyper2kvm", took)
			}
			for deadline := time.Now().Add(5 * time.Second); len(processesNaming(t, scratch)) > 0; time.Sleep(50 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("hyper2kvm still runs after the job ended: %v", processesNaming(t, scratch))
				}
			}
			if left, _ := os.ReadDir(out); len(left) != 0 {
				t.Errorf("the job left %v in hyper2kvm.output_dir", left)
			}
		})
	}
}

// processesNaming lists the running processes whose command line holds s (zombies left out).
func processesNaming(t *testing.T, s string) []string {
	t.Helper()
	procs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, p := range procs {
		cmdline, err := os.ReadFile(filepath.Join(p, "cmdline"))
		if err != nil || !strings.Contains(string(cmdline), s) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join(p, "stat")); err == nil {
			if fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:])); len(fields) > 0 && fields[0] == "Z" {
				continue
			}
		}
		found = append(found, filepath.Base(p)+": "+strings.ReplaceAll(string(cmdline), "\x00", " "))
	}
	return found
}

// With keep_export false the export is not packaged: hyper2kvm gets the boot disk as the
// provider wrote it, the daemon converts the data disk from its file, and the export goes once
// both images are in place. The images equal those of a kept export (the test provider writes
// every VM's disks alike).
func TestDirectModeWithoutKeepingTheExport(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	d, base := directModeDaemon(t, buildHyper2KVM(t), out, "    vm_count: 2\n    boot_sector: true\n    data_disks: 1")
	kept, logs := submitDirect(t, d, "vm-001", "ova", "")
	if kept["status"] != "completed" {
		t.Fatalf("job = %v\nlogs:\n%s", kept, logs)
	}
	job, logs := submitDirect(t, d, "vm-002", "ova", `, "hyper2kvm_integration": {"enabled": true, "auto_convert": true, "keep_export": false}`)
	if job["status"] != "completed" {
		t.Fatalf("job = %v\nlogs:\n%s", job, logs)
	}
	if want := "--cmd local --vmdk " + filepath.Join(base, "vm-002", "vm-002-disk0.raw"); !strings.Contains(logs, want) {
		t.Errorf("job log lacks %q:\n%s", want, logs)
	}
	for i := range 2 {
		img := filepath.Join(out, "vm-002", fmt.Sprintf("vm-002-disk%d.qcow2", i))
		if !sameImage(t, filepath.Join(out, "vm-001", fmt.Sprintf("vm-001-disk%d.qcow2", i)), img) {
			t.Errorf("disk %d: %s differs from the image of the kept export", i, img)
		}
	}
	if _, err := os.Stat(filepath.Join(base, "vm-002")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the export of vm-002 is still there: %v", err)
	}
}
