package kvm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/digitalocean/go-libvirt"

	"github.com/hypersdk/hypersdk/core/domainxml"
	"github.com/hypersdk/hypersdk/sdk/provider"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// The domains the daemon defines start in libvirt's QEMU — not only define: libvirt checks
// firmware, secure boot's SMM, the TPM emulator (it runs swtpm) and the disks' block sizes
// when it starts a domain. Each firmware a source VM can have is started, seen running, and
// destroyed.
func TestDefinedDomainsStart(t *testing.T) {
	cfg := needLibvirt(t)
	_, err := exec.LookPath("swtpm")
	providertest.NeedPeer(t, err == nil, "swtpm is not installed (deploy/install-deps.sh installs it): a VM with a TPM cannot start")
	// TCG: what is checked is the domain's devices, not the accelerator (nested KVM, as on the
	// project's machines, may refuse a host CPU's MSRs whatever the XML says).
	const domType = "qemu"
	cases := []struct {
		name string
		vm   provider.VM
	}{
		{"bios", provider.VM{Firmware: provider.FirmwareBIOS}},
		{"efi", provider.VM{Firmware: provider.FirmwareEFI}},
		{"efi-secure-boot-tpm-4k", provider.VM{Firmware: provider.FirmwareEFI, SecureBoot: true, TPM: true,
			Disks: []provider.Disk{{BootOrder: 1, CapacityBytes: 64 << 20, SectorSize: 4096}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			vm := c.vm
			vm.Name = fmt.Sprintf("hypersdk-boot-%s-%d", c.name, time.Now().UnixNano())
			vm.CPUs, vm.MemoryMB = 1, 256
			if vm.Disks == nil {
				vm.Disks = []provider.Disk{{BootOrder: 1, CapacityBytes: 64 << 20}}
			}
			// QEMU runs as libvirt's own user: it must be able to reach the files, as it can
			// under the directories the daemon makes (0711).
			disk, nvram := testDisk(t), filepath.Join(t.TempDir(), "VARS.fd")
			for _, dir := range []string{filepath.Dir(disk), filepath.Dir(filepath.Dir(disk)), filepath.Dir(nvram)} {
				if err := os.Chmod(dir, 0o711); err != nil {
					t.Fatal(err)
				}
			}
			dom, err := domainxml.Build(vm, domainxml.Options{DomainType: domType, Firmware: domainxml.DebianOVMF,
				NVRAMPath: nvram, Disks: []domainxml.Disk{{Path: disk, Format: "qcow2"}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Define(ctx, cfg, dom, false); err != nil {
				t.Fatalf("Define: %v", err)
			}
			t.Cleanup(func() { Undefine(context.Background(), cfg, vm.Name) })
			if vm.TPM {
				t.Cleanup(func() { dropSwtpmLog(t, vm.Name) })
			}
			err = cfg.session(ctx, func(l *libvirt.Libvirt) error {
				d, err := l.DomainLookupByName(vm.Name)
				if err != nil {
					return err
				}
				if err := l.DomainCreate(d); err != nil {
					return fmt.Errorf("start: %w", err)
				}
				defer l.DomainDestroy(d)
				state, _, err := l.DomainGetState(d, 0)
				if err != nil {
					return err
				}
				if libvirt.DomainState(state) != libvirt.DomainRunning {
					return fmt.Errorf("state %d after start, want running", state)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// swtpmLogDir is where libvirt has swtpm log a domain's TPM, <domain>-swtpm.log; undefining the
// domain leaves the file.
const swtpmLogDir = "/var/log/swtpm/libvirt/qemu"

// dropSwtpmLog removes the log libvirt's swtpm wrote for the test's domain, after showing it
// when the test failed: a start that failed in swtpm_setup names only the file.
func dropSwtpmLog(t *testing.T, domain string) {
	path := filepath.Join(swtpmLogDir, domain+"-swtpm.log")
	if t.Failed() {
		if b, err := os.ReadFile(path); err == nil {
			t.Logf("%s:\n%s", path, b)
		}
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		t.Errorf("remove swtpm's log: %v", err)
	}
}
