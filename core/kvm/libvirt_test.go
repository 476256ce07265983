package kvm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/core/domainxml"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
	"libvirt.org/go/libvirtxml"
)

const testSocket = "/var/run/libvirt/libvirt-sock"

// needLibvirt fails under CI (where .ci/run starts libvirtd) and skips elsewhere.
func needLibvirt(t *testing.T) Config {
	t.Helper()
	_, err := os.Stat(testSocket)
	providertest.NeedPeer(t, err == nil, "libvirtd is not running (no "+testSocket+"; deploy/install-deps.sh --test installs and starts it)")
	return Config{Socket: testSocket}
}

func testDisk(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "disk.qcow2")
	if out, err := exec.Command("qemu-img", "create", "-q", "-f", "qcow2", p, "64M").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img create: %v %s", err, out)
	}
	return p
}

func TestDefineChecksAndAutostart(t *testing.T) {
	cfg := needLibvirt(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	name := fmt.Sprintf("hypersdk-test-%d", time.Now().UnixNano())
	vm := provider.VM{Name: name, CPUs: 1, MemoryMB: 128, Firmware: provider.FirmwareBIOS, Disks: []provider.Disk{{BootOrder: 1}}}
	dom, err := domainxml.Build(vm, domainxml.Options{DomainType: "qemu", Disks: []domainxml.Disk{{Path: testDisk(t), Format: "qcow2"}}})
	if err != nil {
		t.Fatal(err)
	}
	def, err := Define(ctx, cfg, dom, true)
	if err != nil {
		t.Fatalf("Define: %v", err)
	}
	t.Cleanup(func() { Undefine(context.Background(), cfg, name) })
	got, ok, err := Lookup(ctx, cfg, name)
	if err != nil || !ok || !got.Autostart || got.UUID != def.UUID {
		t.Fatalf("Lookup = %+v %v %v, want the defined, autostarting domain %+v", got, ok, err, def)
	}
	if _, err := Define(ctx, cfg, dom, false); !errors.Is(err, ErrExists) {
		t.Errorf("second Define = %v, want ErrExists", err)
	}
	if err := Undefine(ctx, cfg, name); err != nil {
		t.Fatalf("Undefine: %v", err)
	}
	if _, ok, err := Lookup(ctx, cfg, name); ok || err != nil {
		t.Fatalf("after Undefine the domain is still there (%v)", err)
	}

	vm.Name += "-net"
	vm.NICs = []provider.NIC{{MAC: "52:54:00:00:00:01"}}
	dom2, _ := domainxml.Build(vm, domainxml.Options{DomainType: "qemu", Network: "hypersdk-no-such-network", Disks: []domainxml.Disk{{Path: testDisk(t), Format: "qcow2"}}})
	if _, err := Define(ctx, cfg, dom2, false); !errors.Is(err, ErrNoNetwork) {
		t.Errorf("Define with a missing network = %v, want ErrNoNetwork", err)
	}
	if _, ok, _ := Lookup(ctx, cfg, vm.Name); ok {
		t.Error("a refused domain was defined anyway")
	}
}

func TestUnreachableLibvirt(t *testing.T) {
	t.Parallel()
	_, err := Define(context.Background(), Config{Socket: filepath.Join(t.TempDir(), "nope")}, nil, false)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Define without libvirtd = %v", err)
	}
}

// A libvirtd that accepts the connection and never answers (as one busy probing qemu does for
// minutes) must not hold a job forever: the caller's context bounds every call.
func TestSilentLibvirtIsBoundedByTheContext(t *testing.T) {
	t.Parallel()
	sock := filepath.Join(t.TempDir(), "libvirt-sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close() // held open, never answered
		}
	}()
	cfg := Config{Socket: sock}
	calls := []struct {
		name string
		call func(context.Context) error
	}{
		{"NameFree", func(ctx context.Context) error { return NameFree(ctx, cfg, "vm") }},
		{"Define", func(ctx context.Context) error {
			_, err := Define(ctx, cfg, &libvirtxml.Domain{Name: "vm"}, false)
			return err
		}},
	}
	for _, c := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.call(ctx)
		cancel()
		if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s against a silent libvirtd = %v, want ErrUnavailable with the deadline", c.name, err)
		}
	}
}
