package main

import (
	"fmt"
	"github.com/hypersdk/hypersdk/cmd/hypervisord/internal/h2kmanifest"
	"github.com/hypersdk/hypersdk/sdk/providertest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const testNetwork = "hypersdk-test"

// needLibvirt fails under CI (where .ci/run starts libvirtd) and skips elsewhere; it makes sure
// the isolated test network exists (defined, not started: define needs no dnsmasq).
func needLibvirt(t *testing.T) {
	t.Helper()
	_, err := os.Stat("/var/run/libvirt/libvirt-sock")
	providertest.NeedPeer(t, err == nil, "libvirtd is not running (deploy/install-deps.sh --test installs and starts it)")
	if exec.Command("virsh", "-c", "qemu:///system", "net-info", testNetwork).Run() != nil {
		xml := filepath.Join(t.TempDir(), "net.xml")
		os.WriteFile(xml, []byte("<network><name>"+testNetwork+"</name></network>"), 0o644)
		if out, err := exec.Command("virsh", "-c", "qemu:///system", "net-define", xml).CombinedOutput(); err != nil && !strings.Contains(string(out), "already exists") {
			t.Fatalf("define test network: %v %s", err, out)
		}
	}
	// Active, so a test can start what it imported.
	if out, err := exec.Command("virsh", "-c", "qemu:///system", "net-start", testNetwork).CombinedOutput(); err != nil && !strings.Contains(string(out), "already active") {
		t.Fatalf("start test network: %v %s", err, out)
	}
}

func undefineLater(t *testing.T, name string) {
	t.Cleanup(func() { exec.Command("virsh", "-c", "qemu:///system", "undefine", "--nvram", name).Run() })
}

// startsAndRuns starts an imported domain as its user would (virsh start), checks that it
// runs, and stops it again.
func startsAndRuns(t *testing.T, domain string) {
	t.Helper()
	virsh := func(args ...string) (string, error) {
		out, err := exec.Command("virsh", append([]string{"-c", "qemu:///system"}, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := virsh("start", domain); err != nil {
		t.Fatalf("virsh start %s: %v\n%s", domain, err, out)
	}
	defer virsh("destroy", domain)
	if state, err := virsh("domstate", domain); err != nil || state != "running" {
		t.Errorf("after virsh start the domain is %q (%v), want running", state, err)
	}
}

var vmPrefixes atomic.Int64

// kvmConfigWithOwnVMs is kvmConfigYAML with simulator VMs named for one test alone
// (<prefix>001, <prefix>002): libvirt's domains are shared by every test on the host, so two
// tests importing "DC0_C0_RP0_VM0" at once would clash. It returns the first VM's name.
func kvmConfigWithOwnVMs(base, out, watch string) (cfg, vm string) {
	prefix := fmt.Sprintf("hs%d-%d-", os.Getpid(), vmPrefixes.Add(1))
	return strings.Replace(kvmConfigYAML(base, out, watch), "simulator_vms: 2", "simulator_vms: 2\n    simulator_name_prefix: "+prefix, 1), prefix + "001"
}

func kvmConfigYAML(base, out, watch string) string {
	return fmt.Sprintf(`
providers:
  vsphere:
    simulator: true
    simulator_vms: 2
    simulator_disk_mb: 16
export:
  base_path: %s
hyper2kvm:
  output_dir: %s
  watch_dir: %s
libvirt:
  domain_type: qemu
  nvram_dir: %s
`, base, out, watch, filepath.Join(out, "nvram"))
}

// The seed's Pattern 1: one job exports, converts and defines the VM in libvirt.
func TestPatternOneExportConvertImport(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	needLibvirt(t)
	base, out := t.TempDir(), t.TempDir()
	// out sits where an operator would put hyper2kvm.output_dir: under directories libvirt's
	// QEMU user may search. What the daemon makes below it must let QEMU reach the disks.
	for _, dir := range []string{filepath.Dir(out), out} {
		if err := os.Chmod(dir, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	cfg, domain := kvmConfigWithOwnVMs(base, out, t.TempDir())
	d := startDaemon(t, cfg)
	undefineLater(t, domain)
	code, body, _ := d.do("POST", "/jobs/submit", `{
		"vm_identifier": "`+domain+`", "provider": "vsphere", "export_method": "ovf", "export_path": "p1",
		"hyper2kvm_integration": {"enabled": true, "auto_convert": true, "daemon_mode": false},
		"import": {"network": "`+testNetwork+`", "memory_mb": 256, "vcpus": 1, "autostart": true}}`)
	if code != 202 {
		t.Fatalf("submit = %d %v", code, body)
	}
	job := d.waitJob(body["job_id"].(string))
	if job["status"] != "completed" {
		t.Fatalf("job = %v\nlogs:\n%s", job, d.text("/jobs/logs/"+job["job_id"].(string)))
	}
	res := job["result"].(map[string]any)
	converted := res["converted"].([]any)
	if res["libvirt_domain"] != domain || len(converted) != 1 {
		t.Fatalf("result = %v", res)
	}
	qcow := converted[0].(string)
	vmdk := filepath.Join(base, "p1", domain+"-disk0.vmdk")
	if out, err := exec.Command("qemu-img", "compare", vmdk, qcow).CombinedOutput(); err != nil {
		t.Fatalf("converted disk differs from the export: %v %s", err, out)
	}
	info, err := exec.Command("virsh", "-c", "qemu:///system", "dominfo", domain).CombinedOutput()
	if err != nil || !strings.Contains(string(info), "Autostart:      enable") {
		t.Fatalf("virsh dominfo: %v\n%s", err, info)
	}
	xml, _ := exec.Command("virsh", "-c", "qemu:///system", "dumpxml", domain).Output()
	for _, want := range []string{qcow, "network='" + testNetwork + "'", "machine='pc-q35", "org.qemu.guest_agent.0"} {
		if !strings.Contains(string(xml), want) {
			t.Errorf("defined domain lacks %q", want)
		}
	}
	startsAndRuns(t, domain)
	logs := d.text("/jobs/logs/" + job["job_id"].(string))
	for _, want := range []string{"stage started stage=converting", "disk was converted while it downloaded", "stage started stage=importing"} {
		if !strings.Contains(logs, want) {
			t.Errorf("job log lacks %q", want)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(base, "p1", "*.qcow2*")); len(left) != 0 {
		t.Errorf("the image converted during the export stayed in the export directory: %v", left)
	}
}

// keep_export: false keeps only what the migration needs: the provider decodes the disks
// straight into qcow2 without writing them, the VM is defined, and the export directory is
// gone. The image equals what a kept export converts to.
func TestPatternOneWithoutKeepingTheExport(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	needLibvirt(t)
	base, out := t.TempDir(), t.TempDir()
	cfg, domain := kvmConfigWithOwnVMs(base, out, t.TempDir())
	d := startDaemon(t, cfg)
	undefineLater(t, domain)
	_, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier": "`+domain+`", "provider": "vsphere", "export_method": "ova",
		"export_path": "gone", "hyper2kvm_integration": {"enabled": true, "auto_convert": true, "keep_export": false},
		"import": {"network": "`+testNetwork+`", "memory_mb": 256, "vcpus": 1}}`)
	job := d.waitJob(body["job_id"].(string))
	if job["status"] != "completed" {
		t.Fatalf("job = %v\nlogs:\n%s", job, d.text("/jobs/logs/"+job["job_id"].(string)))
	}
	res := job["result"].(map[string]any)
	if res["libvirt_domain"] != domain || res["ova"] != nil || res["artifacts"] != nil {
		t.Fatalf("result = %v", res)
	}
	if _, err := os.Stat(filepath.Join(base, "gone")); !os.IsNotExist(err) {
		entries, _ := os.ReadDir(filepath.Join(base, "gone"))
		t.Fatalf("export directory still there: %v", entries)
	}
	logs := d.text("/jobs/logs/" + job["job_id"].(string))
	for _, want := range []string{"disk was converted while it downloaded", "export removed after conversion"} {
		if !strings.Contains(logs, want) {
			t.Errorf("job log lacks %q", want)
		}
	}
	qcow := res["converted"].([]any)[0].(string)
	kept := filepath.Join(t.TempDir(), "streamed.qcow2")
	if err := os.Rename(qcow, kept); err != nil {
		t.Fatal(err)
	}
	// The same disk exported and kept, for comparison.
	_, body, _ = d.do("POST", "/jobs/submit", `{"vm_identifier": "`+domain+`", "provider": "vsphere", "export_method": "vmdk", "export_path": "kept"}`)
	if job := d.waitJob(body["job_id"].(string)); job["status"] != "completed" {
		t.Fatalf("second job = %v", job)
	}
	vmdk := filepath.Join(base, "kept", domain+"-disk0.vmdk")
	if msg, err := exec.Command("qemu-img", "compare", vmdk, kept).CombinedOutput(); err != nil {
		t.Fatalf("image made without keeping the export differs from the disk: %v %s", err, msg)
	}
}

// With hyper2kvm.compression the disks need qemu-img's compressed clusters, which a decoder
// does not make: the provider is not asked to convert, and qemu-img converts after the export.
func TestCompressionConvertsAfterTheExport(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	base, out := t.TempDir(), t.TempDir()
	d := startDaemon(t, strings.Replace(kvmConfigYAML(base, out, t.TempDir()), "hyper2kvm:\n", "hyper2kvm:\n  compression: true\n", 1))
	_, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier": "DC0_C0_RP0_VM0", "provider": "vsphere", "export_method": "ovf",
		"export_path": "c", "hyper2kvm_integration": {"enabled": true, "auto_convert": true}}`)
	job := d.waitJob(body["job_id"].(string))
	if job["status"] != "completed" {
		t.Fatalf("job = %v", job)
	}
	logs := d.text("/jobs/logs/" + job["job_id"].(string))
	if !strings.Contains(logs, "converting disk") || strings.Contains(logs, "converted while it downloaded") {
		t.Fatalf("expected a qemu-img conversion after the export; log:\n%s", logs)
	}
	converted := job["result"].(map[string]any)["converted"].([]any)
	if len(converted) != 1 {
		t.Fatalf("converted = %v", converted)
	}
	vmdk := filepath.Join(base, "c", "DC0_C0_RP0_VM0-disk0.vmdk")
	if msg, err := exec.Command("qemu-img", "compare", vmdk, converted[0].(string)).CombinedOutput(); err != nil {
		t.Fatalf("converted disk differs from the export: %v %s", err, msg)
	}
	if left, _ := filepath.Glob(filepath.Join(base, "c", "*.qcow2*")); len(left) != 0 {
		t.Errorf("a qcow2 was made in the export directory: %v", left)
	}
}

// daemon_mode hands the export to hyper2kvm@<instance> through its watch directory.
func TestDaemonModeWritesTheHandoffManifest(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	base, watch := t.TempDir(), t.TempDir()
	d := startDaemon(t, kvmConfigYAML(base, t.TempDir(), watch))
	_, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier": "DC0_C0_RP0_VM0", "provider": "vsphere", "export_method": "ova",
		"hyper2kvm_integration": {"enabled": true, "daemon_mode": true, "instance": "vsphere"}}`)
	job := d.waitJob(body["job_id"].(string))
	res, _ := job["result"].(map[string]any)
	if job["status"] != "completed" || res["hyper2kvm_manifest"] == nil {
		t.Fatalf("job = %v", job)
	}
	path := res["hyper2kvm_manifest"].(string)
	if path != filepath.Join(watch, "vsphere", "to_be_processed", job["job_id"].(string)+".json") {
		t.Errorf("manifest at %s, want in %s/vsphere/to_be_processed", path, watch)
	}
	// A manifest hyper2kvm's loader accepts, naming the OVA's disks unpacked beside it.
	m, err := h2kmanifest.Validate(path)
	if err != nil {
		t.Fatalf("hyper2kvm would fail the manifest: %v", err)
	}
	unpacked := filepath.Join(filepath.Dir(res["ova"].(string)), "hyper2kvm-"+job["job_id"].(string))
	if m.SourceType != "ovf" || filepath.Dir(m.SourcePath) != unpacked || len(m.Disks) == 0 || filepath.Dir(m.Disks[0].LocalPath) != unpacked {
		t.Errorf("manifest loads %s %s, disks %+v; want the OVF package unpacked in %s", m.SourceType, m.SourcePath, m.Disks, unpacked)
	}
}

func TestConvertAndImportEndpoints(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	needLibvirt(t)
	base, out := t.TempDir(), t.TempDir()
	d := startDaemon(t, kvmConfigYAML(base, out, t.TempDir()))
	_, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier": "DC0_C0_RP0_VM0", "provider": "vsphere", "export_method": "ova", "export_path": "vm-123"}`)
	exported := d.waitJob(body["job_id"].(string))
	ova := exported["result"].(map[string]any)["ova"].(string)

	code, conv, _ := d.do("POST", "/convert", `{"source_path": "`+ova+`", "output_path": "vm-123",
		"conversion_options": {"format": "qcow2", "compression": true}}`)
	if code != 202 {
		t.Fatalf("convert = %d %v", code, conv)
	}
	cj := d.waitJob(conv["job_id"].(string))
	if cj["status"] != "completed" || cj["kind"] != "convert" {
		t.Fatalf("convert job = %v", cj)
	}
	disk := cj["result"].(map[string]any)["converted"].([]any)[0].(string)
	if filepath.Dir(disk) != filepath.Join(out, "vm-123") {
		t.Errorf("converted disk at %s", disk)
	}

	name := fmt.Sprintf("hypersdk-import-%d", time.Now().UnixNano())
	undefineLater(t, name)
	req := `{"vm_name": "` + name + `", "disk_path": "` + disk + `", "memory_mb": 256, "vcpus": 1, "network": "` + testNetwork + `", "autostart": true}`
	code, imp, _ := d.do("POST", "/import-to-kvm", req)
	if code != 201 || imp["name"] != name || imp["uuid"] == "" || imp["autostart"] != true {
		t.Fatalf("import = %d %v", code, imp)
	}
	// A qcow2 whose header names a host file as its backing file: importing it would hand the
	// guest that file.
	secret := filepath.Join(t.TempDir(), "shadow")
	os.WriteFile(secret, []byte("root:secret"), 0o600)
	evil := filepath.Join(out, "evil.qcow2")
	if msg, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", evil).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img create: %v %s", err, msg)
	}
	cases := []struct {
		name, body string
		status     int
		field      string
	}{
		{"name clash", req, 409, "vm_name"},
		{"disk with a backing file", strings.Replace(strings.Replace(req, disk, evil, 1), name, name+"-evil", 1), 400, "disk_path"},
		{"convert into the first conversion's folder", `{"source_path": "` + ova + `", "output_path": "vm-123"}`, 409, "output_path"},
		{"missing network", strings.Replace(strings.Replace(req, testNetwork, "no-such-net", 1), name, name+"-x", 1), 400, "network"},
		{"disk outside the roots", strings.Replace(req, disk, "/etc/passwd", 1), 400, "disk_path"},
		{"bad name", strings.Replace(req, name, "../x", 1), 400, "vm_name"},
		// Sent to libvirt, 2^31 vCPUs took libvirtd's memory until the OOM killer ended it.
		{"vcpus past any machine", strings.Replace(req, `"vcpus": 1`, `"vcpus": 2147483647`, 1), 400, "vcpus"},
		{"vcpus negative", strings.Replace(req, `"vcpus": 1`, `"vcpus": -1`, 1), 400, "vcpus"},
		{"memory overflowing libvirt's KiB", strings.Replace(req, `"memory_mb": 256`, `"memory_mb": 9223372036854775807`, 1), 400, "memory_mb"},
		{"convert source outside base", `{"source_path": "/etc/passwd"}`, 400, "source_path"},
		{"convert bad format", `{"source_path": "` + ova + `", "conversion_options": {"format": "vdi"}}`, 400, "conversion_options.format"},
	}
	for _, c := range cases {
		path := "/import-to-kvm"
		if strings.HasPrefix(c.name, "convert") {
			path = "/convert"
		}
		code, body, _ := d.do("POST", path, c.body)
		if e, _ := body["error"].(map[string]any); code != c.status || e["field"] != c.field {
			t.Errorf("%s = %d %v, want %d naming %s", c.name, code, body, c.status, c.field)
		}
	}
}

func TestParseVMDKEndpoint(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	base := t.TempDir()
	d := startDaemon(t, "export:\n  base_path: "+base+"\n")
	disk := filepath.Join(base, "vm", "disk.vmdk")
	os.MkdirAll(filepath.Dir(disk), 0o755)
	if out, err := exec.Command("qemu-img", "create", "-q", "-f", "vmdk", "-o", "subformat=streamOptimized", disk, "32M").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	os.WriteFile(filepath.Join(base, "vm", "hostile.vmdk"), []byte("# Disk DescriptorFile\ncreateType=\"monolithicFlat\"\nRW 10 FLAT \"../../etc/shadow\" 0\n"), 0o644)
	code, body, _ := d.do("GET", "/parse-vmdk?path="+disk, "")
	if code != 200 || body["create_type"] != "streamOptimized" || body["embedded"] != true || body["capacity_bytes"] != float64(32<<20) {
		t.Fatalf("parse = %d %v", code, body)
	}
	for path, want := range map[string]int{"/etc/passwd": 400, base + "/vm/hostile.vmdk": 400, base + "/vm/none.vmdk": 404, "": 400} {
		if code, body, _ := d.do("GET", "/parse-vmdk?path="+path, ""); code != want {
			t.Errorf("parse %q = %d %v, want %d", path, code, body, want)
		}
	}
}

// An import that libvirt refuses fails the job at once and removes the converted disks.
func TestFailedImportLeavesNothingConverted(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	needLibvirt(t)
	out := t.TempDir()
	cfg, vm := kvmConfigWithOwnVMs(t.TempDir(), out, t.TempDir())
	d := startDaemon(t, cfg)
	_, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier": "`+vm+`", "provider": "vsphere", "export_method": "vmdk",
		"hyper2kvm_integration": {"enabled": true, "auto_convert": true}, "import": {"network": "hypersdk-no-such-network"}}`)
	job := d.waitJob(body["job_id"].(string))
	if job["status"] != "failed" || job["attempts"] != 1.0 || !strings.Contains(job["error"].(string), "network") {
		t.Fatalf("job = %v", job)
	}
	left, _ := filepath.Glob(filepath.Join(out, vm, "*"))
	if len(left) != 0 {
		t.Errorf("converted files left behind: %v", left)
	}
}

// A provider that cannot convert while downloading (the test provider writes raw disks)
// ignores ConvertTo: with keep_export: false the daemon converts its files with qemu-img and
// then removes them.
func TestKeepExportFalseWithAProviderThatDoesNotConvert(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	base, out := t.TempDir(), t.TempDir()
	d := startDaemon(t, testproviderConfig+fmt.Sprintf("export:\n  base_path: %s\nhyper2kvm:\n  output_dir: %s\n", base, out))
	_, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier": "vm-001", "provider": "testprovider", "export_method": "ovf",
		"export_path": "t", "hyper2kvm_integration": {"enabled": true, "auto_convert": true, "keep_export": false}}`)
	job := d.waitJob(body["job_id"].(string))
	if job["status"] != "completed" {
		t.Fatalf("job = %v\nlogs:\n%s", job, d.text("/jobs/logs/"+job["job_id"].(string)))
	}
	converted := job["result"].(map[string]any)["converted"].([]any)
	if len(converted) == 0 {
		t.Fatalf("result = %v", job["result"])
	}
	for _, c := range converted {
		if msg, err := exec.Command("qemu-img", "check", c.(string)).CombinedOutput(); err != nil {
			t.Errorf("qemu-img check %s: %v %s", c, err, msg)
		}
	}
	if _, err := os.Stat(filepath.Join(base, "t")); !os.IsNotExist(err) {
		t.Errorf("export directory still there (%v)", err)
	}
	if logs := d.text("/jobs/logs/" + job["job_id"].(string)); !strings.Contains(logs, "converting disk") {
		t.Errorf("expected qemu-img to convert; log:\n%s", logs)
	}
}
