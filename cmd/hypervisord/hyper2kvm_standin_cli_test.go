package main

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/ovf"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// The stand-in parses flags as hyper2kvm's argparse parser does: what it does not know is a usage
// error (exit 2), which is how the real tool answered hypervisord's former invocations.
func TestStandinRejectsFlagsHyper2KVMDoesNotHave(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"--format", []string{"--cmd", "local", "--vmdk", "d.vmdk", "--output-dir", dir, "--flatten", "--to-output", "d.qcow2", "--format", "qcow2"}, "unrecognized arguments: --format qcow2"},
		{"--log-level", []string{"--cmd", "local", "--vmdk", "d.vmdk", "--log-level", "info"}, "unrecognized arguments: --log-level info"},
		{"convert subcommand", []string{"convert", "--source", "x"}, "unrecognized arguments: convert --source x"},
		{"hypervisord's former direct run", []string{"convert", "--source", "/e/vm.ovf", "--output-dir", dir, "--format", "qcow2", "--log-level", "info"}, "unrecognized arguments: convert --source /e/vm.ovf --format qcow2 --log-level info"},
		{"the seed's unit file", []string{"daemon", "--watch-dir", dir, "--output-dir", dir, "--format", "qcow2", "--log-level", "info"}, "unrecognized arguments: --format qcow2 --log-level info"},
		{"value missing at the end", []string{"--cmd", "local", "--output-dir"}, "argument --output-dir: expected one argument"},
		{"value missing before a flag", []string{"--to-output", "--flatten", "--cmd", "local"}, "argument --to-output: expected one argument"},
		{"output format vmdk", []string{"--cmd", "local", "--out-format", "vmdk"}, "argument --out-format: invalid choice: 'vmdk' (choose from 'qcow2', 'raw', 'vdi')"},
		{"jobs not a number", []string{"daemon", "--max-concurrent-jobs", "two"}, "argument --max-concurrent-jobs: invalid int value: 'two'"},
		{"ambiguous abbreviation", []string{"--cmd", "local", "--ov", "x"}, "ambiguous option: --ov could match --ova, --ovf"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, code := runStandin(t, nil, tc.args...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != 2 || stdout != "" || !strings.HasPrefix(lines[0], "usage: hyper2kvm [-h]") || lines[len(lines)-1] != "hyper2kvm: error: "+tc.want {
				t.Fatalf("exit %d, stdout %q, stderr:\n%s\nwant last line: hyper2kvm: error: %s", code, stdout, stderr, tc.want)
			}
		})
	}
}

func TestStandinPrintsItsVersion(t *testing.T) {
	t.Parallel()
	stdout, _, code := runStandin(t, nil, "--version")
	if code != 0 || stdout != "0.2.0\n" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
}

// One-shot runs (direct mode): what comes out, and what the fixer refuses.
func TestStandinOneShot(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	boot := guestDisk(t, src, "vm-disk0", true, "vmdk")
	data := guestDisk(t, src, "vm-disk1", false, "vmdk")
	ovfPath := writeOVF(t, src, "vm", []string{boot, data})
	ova := writeOVA(t, src, "vm", ovfPath, []string{boot, data})
	bootBefore, _ := os.ReadFile(boot)

	cases := []struct {
		name     string
		args     []string // --output-dir comes first
		wantCode int
		wantLog  string
		output   string // file expected in the output directory ("" for none)
		format   string
		same     string // disk the output holds
	}{
		{"vmdk", []string{"--cmd", "local", "--vmdk", boot, "--flatten", "--to-output", "vm.qcow2", "--out-format", "qcow2", "-v"}, 0, "Output: ", "vm.qcow2", "qcow2", boot},
		{"vmdk to raw", []string{"--cmd", "local", "--vmdk", boot, "--flatten", "--to-output", "vm.raw", "--out-format", "raw"}, 0, "Output: ", "vm.raw", "raw", boot},
		{"ovf boot disk", []string{"--cmd", "ovf", "--ovf", ovfPath, "--flatten", "--to-output", "vm.qcow2", "-vv"}, 0, "is not the boot disk", "vm.qcow2", "qcow2", boot},
		{"ova boot disk", []string{"--cmd", "ova", "--ova", ova, "--flatten", "--to-output", "vm.qcow2"}, 0, "Extracting OVA", "vm.qcow2", "qcow2", boot},
		{"config file", []string{"--config", writeConfig(t, src, "cmd: local\nvmdk: "+boot+"\nflatten: true\n"), "--to-output", "vm.qcow2"}, 0, "Output: ", "vm.qcow2", "qcow2", boot},
		{"no --to-output converts nothing", []string{"--cmd", "local", "--vmdk", boot, "--flatten"}, 0, "nothing converted", "", "", ""},
		{"no --flatten would write to the source", []string{"--cmd", "local", "--vmdk", boot, "--to-output", "vm.qcow2"}, 1, "pass --flatten", "", "", ""},
		{"a data disk has no root filesystem", []string{"--cmd", "local", "--vmdk", data, "--flatten", "--to-output", "vm.qcow2"}, 1, "Failed to mount root filesystem", "", "", ""},
		{"missing disk", []string{"--cmd", "local", "--vmdk", filepath.Join(src, "gone.vmdk"), "--flatten", "--to-output", "vm.qcow2"}, 1, "vmdk not found: ", "", "", ""},
		{"no operation", []string{"--vmdk", boot}, 2, "hyper2kvm: error: no operation given", "", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			_, stderr, code := runStandin(t, nil, append([]string{"--output-dir", out}, tc.args...)...)
			if code != tc.wantCode || !strings.Contains(stderr, tc.wantLog) {
				t.Fatalf("exit %d (want %d), log lacks %q:\n%s", code, tc.wantCode, tc.wantLog, stderr)
			}
			entries, _ := os.ReadDir(out)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			want := []string{"work"}
			if tc.output != "" {
				want = []string{tc.output, "work"}
			}
			if tc.wantCode == 2 {
				want = nil
			}
			if strings.Join(names, ",") != strings.Join(want, ",") {
				t.Fatalf("output dir holds %v, want %v", names, want)
			}
			if tc.output == "" {
				return
			}
			got := filepath.Join(out, tc.output)
			if f := imageFormat(t, got); f != tc.format {
				t.Errorf("%s is %s, want %s", got, f, tc.format)
			}
			if !sameImage(t, got, tc.same) {
				t.Errorf("%s does not hold the content of %s", got, tc.same)
			}
		})
	}
	t.Cleanup(func() {
		if after, _ := os.ReadFile(boot); string(after) != string(bootBefore) {
			t.Error("a run changed the source disk")
		}
	})
}

// writeOVF writes a descriptor as hypervisord's packaging does (sdk/ovf), listing disks in order.
func writeOVF(t *testing.T, dir, name string, disks []string) string {
	t.Helper()
	vm := provider.VM{ID: "vm-1", Name: name, CPUs: 1, MemoryMB: 1024}
	var files []ovf.DiskFile
	for i, d := range disks {
		st, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		vm.Disks = append(vm.Disks, provider.Disk{Key: "200" + string(rune('0'+i)), CapacityBytes: 1 << 20})
		files = append(files, ovf.DiskFile{Disk: i, Href: filepath.Base(d), Size: st.Size(), Format: ovf.FormatStreamOptimized})
	}
	desc, err := ovf.Write(vm, files)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".ovf")
	if err := os.WriteFile(path, desc, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeOVA tars the descriptor and disks, descriptor first, as an OVA holds them.
func writeOVA(t *testing.T, dir, name, desc string, disks []string) string {
	t.Helper()
	path := filepath.Join(dir, name+".ova")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	for _, p := range append([]string{desc}, disks...) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(&tar.Header{Name: filepath.Base(p), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeConfig(t *testing.T, dir, body string) string {
	t.Helper()
	f, err := os.CreateTemp(dir, "hyper2kvm-*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(body); err != nil {
		t.Fatal(err)
	}
	return f.Name()
}
