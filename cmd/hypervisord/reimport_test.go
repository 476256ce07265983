package main

import (
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Importing a VM that is already defined in libvirt must leave the first import alone: the second
// job stops before it converts anything, says why, and the first domain's disk is byte-identical
// afterwards — also when the domain was undefined but its disks are still in the output directory.
func TestReimportLeavesTheFirstImportAlone(t *testing.T) {
	t.Parallel()
	needQemuImg(t)
	needLibvirt(t)
	out := t.TempDir()
	cfg, domain := kvmConfigWithOwnVMs(t.TempDir(), out, t.TempDir())
	d := startDaemon(t, cfg)
	undefineLater(t, domain)
	submit := func() map[string]any {
		t.Helper()
		code, body, _ := d.do("POST", "/jobs/submit", `{"vm_identifier": "`+domain+`", "provider": "vsphere", "export_method": "vmdk",
			"hyper2kvm_integration": {"enabled": true, "auto_convert": true},
			"import": {"network": "`+testNetwork+`", "memory_mb": 256, "vcpus": 1}}`)
		if code != 202 {
			t.Fatalf("submit = %d %v", code, body)
		}
		return d.waitJob(body["job_id"].(string))
	}

	first := submit()
	if first["status"] != "completed" {
		t.Fatalf("first import = %v\nlogs:\n%s", first, d.text("/jobs/logs/"+first["job_id"].(string)))
	}
	disk := first["result"].(map[string]any)["converted"].([]any)[0].(string)
	before := fileSHA256(t, disk)

	cases := []struct {
		name    string
		prepare func()
		reason  []string // in the failed job's error and log
	}{
		{name: "domain still defined", reason: []string{"conflict", "already exists"}},
		{name: "domain undefined, disks kept", reason: []string{"conflict", "already holds"}, prepare: func() {
			if msg, err := exec.Command("virsh", "-c", "qemu:///system", "undefine", "--nvram", domain).CombinedOutput(); err != nil {
				t.Fatalf("virsh undefine: %v %s", err, msg)
			}
		}},
	}
	for _, c := range cases {
		if c.prepare != nil {
			c.prepare()
		}
		job := submit()
		id := job["job_id"].(string)
		logs := d.text("/jobs/logs/" + id)
		if job["status"] != "failed" || job["attempts"] != 1.0 {
			t.Fatalf("%s: second import = %v, want failed at once\nlogs:\n%s", c.name, job, logs)
		}
		for _, want := range c.reason {
			if !strings.Contains(job["error"].(string), want) || !strings.Contains(logs, want) {
				t.Errorf("%s: error %q / log lack %q", c.name, job["error"], want)
			}
		}
		if strings.Contains(logs, "converting disk") || strings.Contains(logs, "moved into place") {
			t.Errorf("%s: the second job converted although the target was taken:\n%s", c.name, logs)
		}
		if after := fileSHA256(t, disk); after != before {
			t.Fatalf("%s: the first import's disk %s changed", c.name, disk)
		}
		if entries, _ := os.ReadDir(filepath.Dir(disk)); len(entries) != 2 { // the disk and its domain XML
			t.Errorf("%s: the first import's directory now holds %d entries", c.name, len(entries))
		}
	}
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}
