package pipeline

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

func TestHyper2KVMArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		run  hyper2kvmRun
		want string
	}{
		{hyper2kvmRun{Op: h2kLocal, Input: "/e/web-disk0.vmdk", OutDir: "/o/web/.hyper2kvm", Name: "web-disk0.qcow2", Format: "qcow2"},
			"--cmd local --vmdk /e/web-disk0.vmdk --output-dir /o/web/.hyper2kvm --flatten --to-output web-disk0.qcow2 --out-format qcow2 -v"},
		{hyper2kvmRun{Op: h2kOVA, Input: "/e/web.ova", OutDir: "/o", Name: "web-disk0.raw", Format: "raw"},
			"--cmd ova --ova /e/web.ova --output-dir /o --flatten --to-output web-disk0.raw --out-format raw -v"},
		{hyper2kvmRun{Op: h2kOVF, Input: "/e/web.ovf", OutDir: "/o", Name: "web-disk0.qcow2", Format: "qcow2"},
			"--cmd ovf --ovf /e/web.ovf --output-dir /o --flatten --to-output web-disk0.qcow2 --out-format qcow2 -v"},
	} {
		if got := strings.Join(tc.run.args(), " "); got != tc.want {
			t.Errorf("args of %s run:\ngot  %s\nwant %s", tc.run.Op, got, tc.want)
		}
	}
}

func TestBootDisk(t *testing.T) {
	t.Parallel()
	disks := func(orders ...int32) provider.VM {
		var vm provider.VM
		for _, o := range orders {
			vm.Disks = append(vm.Disks, provider.Disk{BootOrder: o})
		}
		return vm
	}
	for _, tc := range []struct {
		name string
		vm   provider.VM
		want int
	}{
		{"no disks", disks(), -1},
		{"one disk in the boot order", disks(1), 0},
		{"none in the boot order: the first", disks(0, 0), 0},
		{"the second boots", disks(0, 1), 1},
		{"lowest rank first", disks(3, 2, 0), 1},
	} {
		if got := tc.vm.BootDisk(); got != tc.want {
			t.Errorf("%s: BootDisk = %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestLineLogSplitsLines(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		writes []string
		want   []string
	}{
		{"whole lines", []string{"a\nb\n"}, []string{"a", "b"}},
		{"a line over writes", []string{"conv", "erting\n"}, []string{"converting"}},
		{"progress bar ends lines with CR", []string{" 10%\r 20%\r\n"}, []string{"10%", "20%"}},
		{"blank lines left out", []string{"\n\n  \nx\n"}, []string{"x"}},
		{"last line without an end", []string{"done"}, []string{"done"}},
		{"long line cut", []string{strings.Repeat("y", maxLogLine+10) + "\n"}, []string{strings.Repeat("y", maxLogLine)}},
		{"tail keeps the last lines", []string{"1\n2\n3\n4\n5\n6\n7\n"}, []string{"1", "2", "3", "4", "5", "6", "7"}},
	} {
		var buf bytes.Buffer
		l := newLineLog(hclog.New(&hclog.LoggerOptions{Output: &buf, JSONFormat: true}), "stdout")
		for _, w := range tc.writes {
			if n, err := l.Write([]byte(w)); n != len(w) || err != nil {
				t.Fatalf("%s: Write = %d, %v", tc.name, n, err)
			}
		}
		l.flush()
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			if i := strings.Index(line, `"line":"`); i >= 0 {
				rest := line[i+len(`"line":"`):]
				got = append(got, rest[:strings.IndexByte(rest, '"')])
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: logged %q, want %q", tc.name, got, tc.want)
		}
		wantTail := tc.want[max(len(tc.want)-h2kTailLines, 0):]
		if tail := l.tail(); !slices.Equal(tail, wantTail) {
			t.Errorf("%s: tail %q, want %q", tc.name, tail, wantTail)
		}
	}
}

// script writes an executable shell script standing for a tool whose process handling (output,
// exit status, children) is under test.
func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tool")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunHyper2KVMCLIExits(t *testing.T) {
	t.Parallel()
	run := hyper2kvmRun{Op: h2kLocal, Input: "/e/d.vmdk", OutDir: "/o", Name: "d.qcow2", Format: "qcow2"}
	for _, tc := range []struct {
		name        string
		body        string
		wantErr     []string // substrings of the error; none: success
		unsupported bool
	}{
		{"success", "echo converting; echo done >&2\n", nil, false},
		{"failure quotes the last error lines", "echo working\necho 'ERROR: Failed to mount root filesystem' >&2\nexit 1\n",
			[]string{"exit status 1", "Failed to mount root filesystem"}, false},
		{"failure without stderr quotes stdout", "echo step 1; echo 'boom'; exit 3\n", []string{"exit status 3", "step 1 | boom"}, false},
		{"usage error is unsupported", "echo 'hyper2kvm: error: unrecognized arguments: --bogus' >&2; exit 2\n",
			[]string{"refused its command line", "unrecognized arguments"}, true},
	} {
		var buf bytes.Buffer
		err := runHyper2KVMCLI(context.Background(), script(t, tc.body), run, hclog.New(&hclog.LoggerOptions{Output: &buf}))
		if tc.wantErr == nil {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			if !strings.Contains(buf.String(), "line=converting") || !strings.Contains(buf.String(), "stream=stderr line=done") {
				t.Errorf("%s: log lacks the tool's lines:\n%s", tc.name, buf.String())
			}
			continue
		}
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range tc.wantErr {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, w)
			}
		}
		if got := errors.Is(err, provider.ErrUnsupported); got != tc.unsupported {
			t.Errorf("%s: errors.Is(ErrUnsupported) = %v", tc.name, got)
		}
	}
}
