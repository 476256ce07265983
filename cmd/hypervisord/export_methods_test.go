package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/ovf"
)

// The test provider writes raw disks. Every export method is served for it: raw keeps them,
// qcow2 converts them, and the OVF methods deliver streamOptimized VMDKs under a descriptor the
// host writes from the VM's picture — each holding exactly the provider's bytes.
func TestEveryMethodFromARawWritingProvider(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	base, out := t.TempDir(), t.TempDir()
	d := startDaemon(t, fmt.Sprintf("providers:\n  testprovider:\n    vm_count: 3\n    disk_size_bytes: 3145728\nexport:\n  base_path: %s\nhyper2kvm:\n  output_dir: %s\n", base, out))

	// The raw export is the provider's own disk, kept as it is: the reference for the others.
	rawJob := exportWith(t, d, `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"raw","export_path":"raw"}`)
	if got := stepNames(rawJob); got != "export verify package" {
		t.Errorf("raw plan = %s", got)
	}
	rawDir := filepath.Join(base, "raw")
	if names := dirNames(t, rawDir); !slices.Equal(names, []string{"vm-001-disk0.raw"}) {
		t.Fatalf("raw export holds %v, want the raw disk alone (no .ovf, no .mf)", names)
	}
	ref := filepath.Join(rawDir, "vm-001-disk0.raw")
	if format, _ := imageInfo(t, ref); format != "raw" {
		t.Errorf("qemu-img says the raw export is %s", format)
	}
	want := fileSum(t, ref)
	disks := resultDisks(rawJob)
	if len(disks) != 1 || disks[0]["format"] != "raw" || disks[0]["sha256"] != want {
		t.Errorf("raw result artifacts %v, want the disk with sha256 %s", disks, want)
	}

	t.Run("qcow2", func(t *testing.T) {
		t.Parallel()
		job := exportWith(t, d, `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"qcow2","export_path":"qcow2"}`)
		dir := filepath.Join(base, "qcow2")
		if names := dirNames(t, dir); !slices.Equal(names, []string{"vm-001-disk0.qcow2"}) {
			t.Fatalf("qcow2 export holds %v, want the qcow2 image alone", names)
		}
		img := filepath.Join(dir, "vm-001-disk0.qcow2")
		if format, _ := imageInfo(t, img); format != "qcow2" {
			t.Errorf("qemu-img says %s", format)
		}
		if got := backToRaw(t, img, "qcow2"); got != want {
			t.Errorf("the qcow2 image holds sha256 %s, the provider's disk %s", got, want)
		}
		if disks := resultDisks(job); len(disks) != 1 || disks[0]["format"] != "qcow2" || disks[0]["sha256"] != fileSum(t, img) {
			t.Errorf("result artifacts %v", disks)
		}
	})

	for _, method := range []string{"ovf", "vmdk"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			exportWith(t, d, `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"`+method+`","export_path":"`+method+`"}`)
			dir := filepath.Join(base, method)
			wantNames := map[string][]string{"ovf": {"vm-001-disk0.vmdk", "vm-001.mf", "vm-001.ovf"}, "vmdk": {"vm-001-disk0.vmdk"}}[method]
			if names := dirNames(t, dir); !slices.Equal(names, wantNames) {
				t.Fatalf("%s export holds %v, want %v", method, names, wantNames)
			}
			vmdk := filepath.Join(dir, "vm-001-disk0.vmdk")
			if format, sub := imageInfo(t, vmdk); format != "vmdk" || sub != "streamOptimized" {
				t.Errorf("qemu-img says %s (%s), want a streamOptimized vmdk", format, sub)
			}
			if got := backToRaw(t, vmdk, "vmdk"); got != want {
				t.Errorf("the VMDK holds sha256 %s, the provider's disk %s", got, want)
			}
			if method == "ovf" {
				raw, err := os.ReadFile(filepath.Join(dir, "vm-001.ovf"))
				if err != nil {
					t.Fatal(err)
				}
				checkDescriptor(t, raw)
				checkManifest(t, dir, "vm-001.mf")
			}
		})
	}

	t.Run("ova", func(t *testing.T) {
		t.Parallel()
		exportWith(t, d, `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"ova","export_path":"ova"}`)
		ova := filepath.Join(base, "ova", "vm-001.ova")
		checkOVA(t, ova) // member order and manifest
		desc, vmdk := ovaMembers(t, ova)
		checkDescriptor(t, desc)
		if format, sub := imageInfo(t, vmdk); format != "vmdk" || sub != "streamOptimized" {
			t.Errorf("qemu-img says the OVA's disk is %s (%s)", format, sub)
		}
		if got := backToRaw(t, vmdk, "vmdk"); got != want {
			t.Errorf("the OVA's VMDK holds sha256 %s, the provider's disk %s", got, want)
		}
	})

	// keep_export false: the images are converted (qcow2) or moved (raw, already that format)
	// straight into the output folder, and the export goes.
	for _, method := range []string{"qcow2", "raw"} {
		t.Run(method+" not kept", func(t *testing.T) {
			t.Parallel()
			vm := map[string]string{"qcow2": "vm-002", "raw": "vm-003"}[method]
			job := exportWith(t, d, `{"vm_identifier":"`+vm+`","provider":"testprovider","export_method":"`+method+`","export_path":"moved-`+method+`",
				"hyper2kvm_integration":{"enabled":true,"auto_convert":true,"keep_export":false}}`)
			if got := stepNames(job); got != "export verify convert drop-export" {
				t.Errorf("plan = %s", got)
			}
			converted, _ := job["result"].(map[string]any)["converted"].([]any)
			if len(converted) != 1 || !strings.HasSuffix(converted[0].(string), "."+method) {
				t.Fatalf("converted = %v", converted)
			}
			if format, _ := imageInfo(t, converted[0].(string)); format != method {
				t.Errorf("qemu-img says %s", format)
			}
			if got := backToRaw(t, converted[0].(string), method); got != want {
				t.Errorf("the %s image holds sha256 %s, the provider's disk %s", method, got, want)
			}
			if _, err := os.Stat(filepath.Join(base, "moved-"+method)); !os.IsNotExist(err) {
				t.Errorf("export directory still there (%v)", err)
			}
			logs := d.text("/jobs/logs/" + job["job_id"].(string))
			wantLog := map[string]string{"qcow2": "converting disk", "raw": "disk was exported in the wanted format"}[method]
			if !strings.Contains(logs, wantLog) {
				t.Errorf("job log lacks %q:\n%s", wantLog, logs)
			}
		})
	}

	t.Run("refused specs", func(t *testing.T) {
		t.Parallel()
		if err := os.WriteFile(filepath.Join(base, "a-file"), []byte("not a folder"), 0o600); err != nil {
			t.Fatal(err)
		}
		cases := []struct{ name, body, field string }{
			{"unknown method", `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"vhd"}`, "export_method"},
			{"images for hyper2kvm's daemon", `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"raw","hyper2kvm_integration":{"enabled":true,"daemon_mode":true}}`, "export_method"},
			{"qcow2 imported as raw", `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"qcow2","import":{"format":"raw"}}`, "import.format"},
			{"compressed raw", `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"raw","options":{"compress":true}}`, "options.compress"},
			{"vcpus past any machine", `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"qcow2","import":{"vcpus":2147483647}}`, "import.vcpus"},
			{"negative memory", `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"qcow2","import":{"memory_mb":-1}}`, "import.memory_mb"},
			{"export path naming a file", `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"raw","export_path":"a-file"}`, "export_path"},
			// Refused when accepted, not after the export: it names a folder and a systemd unit.
			{"hyper2kvm instance with a path", `{"vm_identifier":"vm-001","provider":"testprovider","export_method":"ova","hyper2kvm_integration":{"enabled":true,"daemon_mode":true,"instance":"../../x"}}`, "hyper2kvm_integration.instance"},
		}
		for _, c := range cases {
			code, body, _ := d.do("POST", "/jobs/submit", c.body)
			e, _ := body["error"].(map[string]any)
			if code != 400 || e["field"] != c.field {
				t.Errorf("%s: = %d %v, want 400 naming %s", c.name, code, body, c.field)
			}
		}
	})

	t.Run("capabilities", func(t *testing.T) {
		t.Parallel()
		_, body, _ := d.do("GET", "/capabilities", "")
		methods, _ := body["export_methods"].([]any)
		var all []string
		for _, m := range methods {
			all = append(all, m.(string))
		}
		slices.Sort(all)
		if !slices.Equal(all, []string{"ova", "ovf", "qcow2", "raw", "vmdk"}) {
			t.Errorf("export_methods = %v", methods)
		}
		declared := map[string]bool{}
		for _, p := range body["providers"].([]any) {
			if p.(map[string]any)["name"] == "testprovider" {
				for _, c := range p.(map[string]any)["capabilities"].([]any) {
					declared[c.(string)] = true
				}
			}
		}
		found := false
		for _, raw := range body["provider_methods"].([]any) {
			pm := raw.(map[string]any)
			if pm["provider"] != "testprovider" {
				continue
			}
			found = true
			seen := map[string]int{}
			for _, key := range []string{"native", "completed_by_host"} {
				for _, m := range pm[key].([]any) {
					seen[m.(string)]++
					if native := key == "native"; native != declared["export."+m.(string)] {
						t.Errorf("%s listed as %s, the provider declares %v", m, key, slices.Sorted(maps.Keys(declared)))
					}
				}
			}
			for _, m := range all {
				if seen[m] != 1 {
					t.Errorf("method %s appears %d times in %v", m, seen[m], pm)
				}
			}
		}
		if !found {
			t.Errorf("provider_methods lacks testprovider: %v", body["provider_methods"])
		}
	})
}

// exportWith submits one job and returns it once it completed.
func exportWith(t *testing.T, d *daemon, body string) map[string]any {
	t.Helper()
	code, resp, _ := d.do("POST", "/jobs/submit", body)
	if code != 202 {
		t.Fatalf("submit %s = %d %v", body, code, resp)
	}
	job := d.waitJob(resp["job_id"].(string))
	if job["status"] != "completed" {
		t.Fatalf("job = %v\nlogs:\n%s", job, d.text("/jobs/logs/"+job["job_id"].(string)))
	}
	return job
}

func stepNames(job map[string]any) string {
	var names []string
	steps, _ := job["steps"].([]any)
	for _, s := range steps {
		names = append(names, s.(map[string]any)["name"].(string))
	}
	return strings.Join(names, " ")
}

func resultDisks(job map[string]any) []map[string]any {
	var out []map[string]any
	arts, _ := job["result"].(map[string]any)["artifacts"].([]any)
	for _, a := range arts {
		if m := a.(map[string]any); m["kind"] == "disk" {
			out = append(out, m)
		}
	}
	return out
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// imageInfo is qemu-img info's format of an image and, for a VMDK, its create type.
func imageInfo(t *testing.T, path string) (format, createType string) {
	t.Helper()
	out, err := exec.Command("qemu-img", "info", "--output=json", path).Output()
	if err != nil {
		t.Fatalf("qemu-img info %s: %v", path, err)
	}
	var info struct {
		Format         string `json:"format"`
		FormatSpecific struct {
			Data struct {
				CreateType string `json:"create-type"`
			} `json:"data"`
		} `json:"format-specific"`
	}
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatal(err)
	}
	return info.Format, info.FormatSpecific.Data.CreateType
}

// backToRaw converts an image back to raw with qemu-img and returns the SHA-256 of the bytes.
func backToRaw(t *testing.T, img, format string) string {
	t.Helper()
	raw := filepath.Join(t.TempDir(), "back.raw")
	if out, err := exec.Command("qemu-img", "convert", "-f", format, "-O", "raw", img, raw).CombinedOutput(); err != nil {
		t.Fatalf("qemu-img convert %s: %v %s", img, err, out)
	}
	return fileSum(t, raw)
}

// checkDescriptor parses a descriptor the host wrote with sdk/ovf: the VM's one disk, in a
// streamOptimized VMDK.
func checkDescriptor(t *testing.T, raw []byte) {
	t.Helper()
	vm, files, err := ovf.Parse(raw)
	if err != nil {
		t.Fatalf("sdk/ovf cannot parse the descriptor: %v", err)
	}
	if vm.Name != "vm-001" || len(vm.Disks) != 1 || len(files) != 1 || files[0].Href != "vm-001-disk0.vmdk" || files[0].Format != ovf.FormatStreamOptimized {
		t.Errorf("descriptor: vm %+v, files %+v", vm, files)
	}
}

// checkManifest checks every line of an OVF package's .mf against the files beside it.
func checkManifest(t *testing.T, dir, name string) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 2 {
		t.Errorf("manifest has %d lines, want descriptor and disk:\n%s", len(lines), raw)
	}
	for _, l := range lines {
		var file, sum string
		if _, err := fmt.Sscanf(strings.Replace(l, ")= ", " ", 1), "SHA256(%s %s", &file, &sum); err != nil {
			t.Fatalf("manifest line %q: %v", l, err)
		}
		if got := fileSum(t, filepath.Join(dir, file)); got != sum {
			t.Errorf("manifest says %s of %s, the file has %s", sum, file, got)
		}
	}
}

// ovaMembers extracts an OVA's descriptor (returned) and its disk (a temporary file).
func ovaMembers(t *testing.T, path string) (desc []byte, disk string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		switch filepath.Ext(h.Name) {
		case ".ovf":
			desc = data
		case ".vmdk":
			disk = filepath.Join(t.TempDir(), h.Name)
			if err := os.WriteFile(disk, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if desc == nil || disk == "" {
		t.Fatalf("OVA %s lacks a descriptor or a disk", path)
	}
	return desc, disk
}

// vSphere serves streamOptimized VMDKs and decodes them while downloading: a raw or qcow2 export
// asks it for the images alone (ConvertOnly), adopts them after qemu-img checks them, and keeps
// neither the VMDK nor vCenter's descriptor. The image holds what the OVF export's VMDK holds.
func TestImageMethodsFromVSphereAdoptTheDownloadsImage(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	base := t.TempDir()
	d := startDaemon(t, vsphereConfig(base))
	exportWith(t, d, `{"vm_identifier":"DC0_C0_RP0_VM0","provider":"vsphere","export_method":"vmdk","export_path":"ref"}`)
	ref := filepath.Join(base, "ref", "DC0_C0_RP0_VM0-disk0.vmdk")
	want := backToRaw(t, ref, "vmdk")
	for _, method := range []string{"qcow2", "raw"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			job := exportWith(t, d, `{"vm_identifier":"DC0_C0_RP0_VM0","provider":"vsphere","export_method":"`+method+`","export_path":"`+method+`"}`)
			dir := filepath.Join(base, method)
			names := dirNames(t, dir)
			if len(names) != 1 || filepath.Ext(names[0]) != "."+method {
				t.Fatalf("%s export holds %v, want one %s image", method, names, method)
			}
			img := filepath.Join(dir, names[0])
			if format, _ := imageInfo(t, img); format != method {
				t.Errorf("qemu-img says %s", format)
			}
			if got := backToRaw(t, img, method); got != want {
				t.Errorf("the %s image holds sha256 %s, the VMDK %s", method, got, want)
			}
			logs := d.text("/jobs/logs/" + job["job_id"].(string))
			if !strings.Contains(logs, "disk was converted while it downloaded; checked with qemu-img and kept") {
				t.Errorf("the image converted during the download was not adopted; log:\n%s", logs)
			}
		})
	}
}

// qcow2 with an import block: the domain is defined on qcow2 images in hyper2kvm.output_dir.
// Kept, the export's images are copied there in their own format; not kept, the image vSphere
// decoded while downloading is moved there — never a second conversion to another format.
func TestQCOW2ExportImported(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	needLibvirt(t)
	for _, keep := range []bool{true, false} {
		t.Run(fmt.Sprintf("keep_export %v", keep), func(t *testing.T) {
			t.Parallel()
			base, out := t.TempDir(), t.TempDir()
			cfg, domain := kvmConfigWithOwnVMs(base, out, t.TempDir())
			d := startDaemon(t, cfg)
			undefineLater(t, domain)
			job := exportWith(t, d, fmt.Sprintf(`{"vm_identifier": "%s", "provider": "vsphere", "export_method": "qcow2", "export_path": "q",
				"hyper2kvm_integration": {"keep_export": %v}, "import": {"network": "%s", "memory_mb": 256, "vcpus": 1}}`, domain, keep, testNetwork))
			wantPlan := map[bool]string{true: "export verify package convert import", false: "export verify convert import drop-export"}[keep]
			if got := stepNames(job); got != wantPlan {
				t.Errorf("plan = %s, want %s", got, wantPlan)
			}
			res := job["result"].(map[string]any)
			converted, _ := res["converted"].([]any)
			if res["libvirt_domain"] != domain || len(converted) != 1 {
				t.Fatalf("result = %v", res)
			}
			disk := converted[0].(string)
			if format, _ := imageInfo(t, disk); format != "qcow2" || !strings.HasPrefix(disk, out) {
				t.Errorf("the domain's disk %s is %s, want a qcow2 under %s", disk, format, out)
			}
			xml, _ := exec.Command("virsh", "-c", "qemu:///system", "dumpxml", domain).Output()
			if !strings.Contains(string(xml), disk) || !strings.Contains(string(xml), "type='qcow2'") {
				t.Errorf("the defined domain does not use %s as qcow2:\n%s", disk, xml)
			}
			if keep {
				exported := filepath.Join(base, "q", domain+"-disk0.qcow2")
				if out, err := exec.Command("qemu-img", "compare", exported, disk).CombinedOutput(); err != nil {
					t.Errorf("the imported disk differs from the exported image: %v %s", err, out)
				}
				return
			}
			if _, err := os.Stat(filepath.Join(base, "q")); !os.IsNotExist(err) {
				t.Errorf("export directory still there (%v)", err)
			}
			if logs := d.text("/jobs/logs/" + job["job_id"].(string)); strings.Contains(logs, "converting disk") {
				t.Errorf("a disk was converted again; log:\n%s", logs)
			}
		})
	}
}
