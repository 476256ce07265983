package h2kmanifest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fixture is a directory with two disk files and a manifest hyper2kvm accepts.
type fixture struct {
	dir, boot, data, bootSum string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	dir := t.TempDir()
	f := fixture{dir: dir, boot: filepath.Join(dir, "vm-disk0.vmdk"), data: filepath.Join(dir, "vm-disk1.vmdk")}
	for _, p := range []string{f.boot, f.data} {
		if err := os.WriteFile(p, []byte("disk bytes of "+filepath.Base(p)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sum := sha256.Sum256([]byte("disk bytes of vm-disk0.vmdk"))
	f.bootSum = "sha256:" + hex.EncodeToString(sum[:])
	return f
}

func (f fixture) doc() map[string]any {
	return map[string]any{
		"manifest_version": "1.0",
		"source":           map[string]any{"provider": "vsphere", "vm_id": "vm-42", "vm_name": "web", "datacenter": "DC1"},
		"disks": []any{
			map[string]any{"id": "disk-0", "source_format": "vmdk", "bytes": 27, "local_path": f.boot,
				"checksum": f.bootSum, "boot_order_hint": 0, "disk_type": "boot", "label": "Hard disk 1"},
			map[string]any{"id": "disk-1", "source_format": "vmdk", "bytes": 27, "local_path": f.data, "disk_type": "data"},
		},
		"vm":       map[string]any{"cpu": 2, "mem_gb": 4, "firmware": "uefi", "secureboot": true, "os_hint": "linux"},
		"nics":     []any{map[string]any{"mac": "00:50:56:00:00:01", "network": "VM Network"}},
		"pipeline": map[string]any{"load": map[string]any{"source_type": "vmdk", "source_path": f.boot}, "convert": map[string]any{"enabled": true}},
		"output":   map[string]any{"directory": filepath.Join(f.dir, "out"), "format": "qcow2"},
		"x-extra":  "kept but ignored",
	}
}

// edit sets (or, with del, removes) the value at a dotted path such as "disks.0.bytes".
func edit(doc map[string]any, path string, v any, del bool) {
	keys := strings.Split(path, ".")
	var cur any = doc
	for _, k := range keys[:len(keys)-1] {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[k]
		case []any:
			i, _ := strconv.Atoi(k)
			cur = c[i]
		}
	}
	last := keys[len(keys)-1]
	m := cur.(map[string]any)
	if del {
		delete(m, last)
		return
	}
	m[last] = v
}

func writeManifest(t *testing.T, dir, name string, doc any) string {
	t.Helper()
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestValidateAcceptsAWellFormedManifest(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	doc := f.doc()
	edit(doc, "pipeline.load.source_type", "VMDK", false) // hyper2kvm lower-cases it
	m, err := Validate(writeManifest(t, f.dir, "job-1.json", doc))
	if err != nil {
		t.Fatal(err)
	}
	if m.SourceType != "vmdk" || m.SourcePath != f.boot || m.OutputFormat != "qcow2" || m.OutputDir != filepath.Join(f.dir, "out") || m.Stem() != "job-1" {
		t.Errorf("manifest = %+v", m)
	}
	if len(m.Disks) != 2 || m.BootDisk().ID != "disk-0" || m.Disks[1].BootOrderHint != DefaultBootOrderHint || m.Disks[1].Label != "disk-1" || m.Disks[0].Label != "Hard disk 1" {
		t.Errorf("disks = %+v", m.Disks)
	}
	if !m.StageEnabled("convert") || m.StageEnabled("fix") {
		t.Errorf("stages: convert %v fix %v", m.StageEnabled("convert"), m.StageEnabled("fix"))
	}
}

func TestValidateRejectsEachBrokenRuleWithHyper2KVMsMessage(t *testing.T) {
	t.Parallel()
	type change struct {
		path string
		v    any
		del  bool
	}
	cases := []struct {
		name    string
		changes []change
		want    string // exact; "{dir}" stands for the fixture directory
	}{
		{"version missing", []change{{path: "manifest_version", del: true}}, "Missing required field: manifest_version. This is an Artifact Manifest v1. Expected versions: ['1.0']"},
		{"version empty", []change{{path: "manifest_version", v: ""}}, "Missing required field: manifest_version. This is an Artifact Manifest v1. Expected versions: ['1.0']"},
		{"version a number", []change{{path: "manifest_version", v: 1}}, "Unsupported manifest version: 1. This hyper2kvm version supports: ['1.0']"},
		{"version a float", []change{{path: "manifest_version", v: json.Number("1.0")}}, "Unsupported manifest version: 1.0. This hyper2kvm version supports: ['1.0']"},
		{"version 2.0", []change{{path: "manifest_version", v: "2.0"}}, "Unsupported manifest version: 2.0. This hyper2kvm version supports: ['1.0']"},
		{"disks missing", []change{{path: "disks", del: true}}, "Missing required field: disks[]. Artifact Manifest v1 requires at least one disk."},
		{"disks an object", []change{{path: "disks", v: map[string]any{}}}, "Field 'disks' must be an array"},
		{"disks empty", []change{{path: "disks", v: []any{}}}, "Field 'disks' must contain at least one disk"},
		{"disk not an object", []change{{path: "disks", v: []any{"disk-0"}}}, "disks[0] must be an object"},
		{"disk id missing", []change{{path: "disks.0.id", del: true}}, "disks[0].id is required"},
		{"disk bytes missing", []change{{path: "disks.1.bytes", del: true}}, "disks[1].bytes is required"},
		{"disk local_path missing", []change{{path: "disks.0.local_path", del: true}}, "disks[0].local_path is required"},
		{"disk source_format missing", []change{{path: "disks.0.source_format", del: true}}, "disks[0].source_format is required"},
		{"duplicate id", []change{{path: "disks.1.id", v: "disk-0"}}, "Duplicate disk ID: disk-0"},
		{"id with a space", []change{{path: "disks.1.id", v: "disk 1"}}, "disks[1].id must match pattern: ^[a-zA-Z0-9_-]+$ (got: 'disk 1')"},
		{"id with a dot", []change{{path: "disks.0.id", v: "scsi0:0"}}, "disks[0].id must match pattern: ^[a-zA-Z0-9_-]+$ (got: 'scsi0:0')"},
		{"source_format a vmdk subformat", []change{{path: "disks.0.source_format", v: "streamOptimized"}}, "disks[0].source_format unsupported: streamOptimized. Supported: ['vmdk', 'qcow2', 'raw', 'vhd', 'vhdx', 'vdi']"},
		{"source_format ova", []change{{path: "disks.0.source_format", v: "ova"}}, "disks[0].source_format unsupported: ova. Supported: ['vmdk', 'qcow2', 'raw', 'vhd', 'vhdx', 'vdi']"},
		{"bytes negative", []change{{path: "disks.0.bytes", v: -1}}, "disks[0].bytes must be a non-negative integer"},
		{"bytes a float", []change{{path: "disks.0.bytes", v: 1.5}}, "disks[0].bytes must be a non-negative integer"},
		{"bytes 27.0", []change{{path: "disks.0.bytes", v: json.Number("27.0")}}, "disks[0].bytes must be a non-negative integer"},
		{"bytes a string", []change{{path: "disks.0.bytes", v: "27"}}, "disks[0].bytes must be a non-negative integer"},
		{"bytes a boolean", []change{{path: "disks.0.bytes", v: true}}, "disks[0].bytes must be a non-negative integer"},
		{"local_path absent file", []change{{path: "disks.1.local_path", v: "{dir}/gone.vmdk"}}, "disks[1].local_path not found: {dir}/gone.vmdk"},
		{"checksum without prefix", []change{{path: "disks.0.checksum", v: strings.Repeat("a", 64)}}, "disks[0].checksum must match format: sha256:<hexdigest> (got: '" + strings.Repeat("a", 64) + "')"},
		{"checksum upper case", []change{{path: "disks.0.checksum", v: "sha256:" + strings.Repeat("A", 64)}}, "disks[0].checksum must match format: sha256:<hexdigest> (got: 'sha256:" + strings.Repeat("A", 64) + "')"},
		{"checksum short", []change{{path: "disks.0.checksum", v: "sha256:abc"}}, "disks[0].checksum must match format: sha256:<hexdigest> (got: 'sha256:abc')"},
		{"checksum of other bytes", []change{{path: "disks.0.checksum", v: "sha256:" + strings.Repeat("0", 64)}}, "Checksum verification failed for disk disk-0"},
		{"boot_order_hint negative", []change{{path: "disks.0.boot_order_hint", v: -1}}, "disks[0].boot_order_hint must be a non-negative integer"},
		{"boot_order_hint a string", []change{{path: "disks.1.boot_order_hint", v: "1"}}, "disks[1].boot_order_hint must be a non-negative integer"},
		{"disk_type os", []change{{path: "disks.0.disk_type", v: "os"}}, "disks[0].disk_type must be one of: boot, data, unknown"},
		{"vm a list", []change{{path: "vm", v: []any{}}}, "Field 'vm' must be an object"},
		{"firmware efi", []change{{path: "vm.firmware", v: "efi"}}, "vm.firmware must be one of: bios, uefi, unknown (got: 'efi')"},
		{"firmware null", []change{{path: "vm.firmware", v: nil}}, "vm.firmware must be one of: bios, uefi, unknown (got: None)"},
		{"secureboot a string", []change{{path: "vm.secureboot", v: "false"}}, "vm.secureboot must be a boolean"},
		{"cpu zero", []change{{path: "vm.cpu", v: 0}}, "vm.cpu must be an integer >= 1"},
		{"mem_gb fractional", []change{{path: "vm.mem_gb", v: 0.5}}, "vm.mem_gb must be an integer >= 1"},
		{"mem_gb zero", []change{{path: "vm.mem_gb", v: 0}}, "vm.mem_gb must be an integer >= 1"},
		{"os_hint rhel", []change{{path: "vm.os_hint", v: "rhel"}}, "vm.os_hint must be one of: linux, windows, unknown (got: 'rhel')"},
		{"pipeline missing", []change{{path: "pipeline", del: true}}, "Unknown source_type in manifest: "},
		{"load missing", []change{{path: "pipeline.load", del: true}}, "Unknown source_type in manifest: "},
		{"source_type iso", []change{{path: "pipeline.load.source_type", v: "iso"}}, "Unknown source_type in manifest: iso"},
		{"source_type null", []change{{path: "pipeline.load.source_type", v: nil}}, "'NoneType' object has no attribute 'lower'"},
		{"pipeline a list", []change{{path: "pipeline", v: []any{}}}, "'list' object has no attribute 'get'"},
		{"source_path missing", []change{{path: "pipeline.load.source_path", del: true}}, "pipeline.load.source_path is required for source_type vmdk"},
		{"source_path absent file", []change{{path: "pipeline.load.source_path", v: "{dir}/gone.ova"}}, "pipeline.load.source_path not found: {dir}/gone.ova"},
		{"output format vmdk", []change{{path: "output.format", v: "vmdk"}}, "output.format unsupported: vmdk. Supported: ['qcow2', 'raw', 'vdi']"},
		{"output a string", []change{{path: "output", v: "/var/lib/out"}}, "Field 'output' must be an object"},
		// The loader's order: the daemon's source_type rule first, then disks, then vm.
		{"two broken rules", []change{{path: "vm.cpu", v: 0}, {path: "disks.0.id", v: "a b"}}, "disks[0].id must match pattern: ^[a-zA-Z0-9_-]+$ (got: 'a b')"},
		{"source_type before disks", []change{{path: "disks", v: []any{}}, {path: "pipeline.load.source_type", v: "img"}}, "Unknown source_type in manifest: img"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			doc := f.doc()
			for _, c := range tc.changes {
				if s, ok := c.v.(string); ok {
					c.v = strings.ReplaceAll(s, "{dir}", f.dir)
				}
				edit(doc, c.path, c.v, c.del)
			}
			_, err := Validate(writeManifest(t, f.dir, "job.json", doc))
			want := strings.ReplaceAll(tc.want, "{dir}", f.dir)
			if err == nil || err.Error() != want || !IsValidation(err) {
				t.Fatalf("err = %v\nwant  %s", err, want)
			}
		})
	}
}

func TestValidateReadsYAMLAsHyper2KVMDoes(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	yamlDoc := func(version string) string {
		return "manifest_version: " + version + "\ndisks:\n  - id: disk-0\n    source_format: vmdk\n    bytes: 27\n    local_path: " + f.boot +
			"\n    checksum: " + f.bootSum + "\npipeline:\n  load: {source_type: vmdk, source_path: " + f.boot + "}\n"
	}
	cases := []struct {
		name, file, body, want string
	}{
		{"quoted version", "a.yaml", yamlDoc(`"1.0"`), ""},
		{"yml extension", "b.yml", yamlDoc(`'1.0'`), ""},
		{"bare 1.0 is a float", "c.yaml", yamlDoc(`1.0`), "Unsupported manifest version: 1.0. This hyper2kvm version supports: ['1.0']"},
		{"a list, not a mapping", "d.yaml", "- 1\n- 2\n", "'list' object has no attribute 'get'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(f.dir, tc.file)
			if err := os.WriteFile(path, []byte(tc.body), 0o644); err != nil {
				t.Fatal(err)
			}
			m, err := Validate(path)
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want == "" && (len(m.Disks) != 1 || m.Disks[0].Checksum != f.bootSum):
				t.Errorf("manifest = %+v", m)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("err = %v, want %s", err, tc.want)
			}
		})
	}
}

func TestValidateRejectsWhatIsNotJSON(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, body := range []string{`{"manifest_version": "1.0",`, `{"manifest_version": "1.0"} {}`, ``} {
		path := filepath.Join(dir, "half.json")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Validate(path); err == nil || !strings.HasPrefix(err.Error(), "Invalid JSON in manifest: ") {
			t.Errorf("%q: err = %v", body, err)
		}
	}
}
