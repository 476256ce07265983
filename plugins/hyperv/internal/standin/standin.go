// Package standin puts together a "Hyper-V host" for the provider's tests, its benchmark and
// the hypersdk-hyperv-standin command: a real Samba smbd serving the export share, the
// WS-Management fake (wsmanfake) in front of the host model (hostfake), and VMs whose disks
// are VHDX files made by qemu-img. Settings returns the providers.hyperv section that points
// the plugin at it.
package standin

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/hostfake"
	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/smbd"
	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/wsmanfake"
	"github.com/hypersdk/hypersdk/sdk/providertest"
)

// Root is the export root as the fake host names it.
const Root = `D:\HyperSDK\Export`

// VMID is the running generation 2 VM with one data disk that the tests export.
const VMID = "5f3c1f0e-8a7b-4c2d-9e10-0123456789ab"

// Options shape the stand-in.
type Options struct {
	Dir        string        // where everything lives (must exist)
	DiskMiB    int           // virtual size of the exported VM's disk (default 16)
	ExtraVMs   int           // more VMs, for listing in pages
	ExportTime time.Duration // how long the host's export job runs
	Fail       func(name string, params []byte) *wsmanfake.Result
	// ReceiveWait is the WS-Management fake's wait before an OperationTimeout fault.
	ReceiveWait time.Duration
	// Name is the exported VM's name (default web-01).
	Name string
	// SMBRate, when set, limits what the share sends to this many bytes a second.
	SMBRate int64
}

// Standin is a running host.
type Standin struct {
	SMB   *smbd.Server
	Host  *hostfake.Host
	WSMan *wsmanfake.Server
	// Disk is the local file of the exported VM's VHDX, and Raw the raw image it was made from.
	Disk, Raw string
	// Name is the exported VM's name.
	Name  string
	proxy *throttle
}

// Start starts smbd and the WS-Management fake and makes the VMs.
func Start(o Options) (*Standin, error) {
	if o.DiskMiB <= 0 {
		o.DiskMiB = 16
	}
	if err := os.MkdirAll(filepath.Join(o.Dir, "smb"), 0o755); err != nil {
		return nil, err
	}
	smb, err := smbd.Start(filepath.Join(o.Dir, "smb"), "Hv-test-1")
	if err != nil {
		return nil, err
	}
	if o.Name == "" {
		o.Name = "web-01"
	}
	s := &Standin{SMB: smb, Name: o.Name}
	if s.proxy, err = startThrottle(smb.Addr, o.SMBRate); err != nil {
		smb.Stop()
		return nil, err
	}
	host := hostfake.New(hostfake.Options{Root: Root, ShareDir: smb.Dir, ExportTime: o.ExportTime, Fail: o.Fail})
	s.Host = host
	s.WSMan = wsmanfake.New(wsmanfake.Options{User: smb.User, Password: smb.Password, Run: host.Run, ReceiveWait: o.ReceiveWait})
	storage := filepath.Join(o.Dir, "vms")
	if err := os.MkdirAll(storage, 0o755); err != nil {
		s.Close()
		return nil, err
	}
	s.Raw, s.Disk = filepath.Join(storage, o.Name+".raw"), filepath.Join(storage, o.Name+".vhdx")
	if err := makeDisk(s.Raw, s.Disk, int64(o.DiskMiB)<<20); err != nil {
		s.Close()
		return nil, err
	}
	host.AddVM(hostfake.VM{ID: VMID, Name: o.Name, State: "Running", Generation: 2, SecureBoot: true, CPUs: 2, MemoryMB: 2048, Dynamic: true,
		Notes: "web front end\ntag: env=prod\ntag: tier=web",
		Disks: []hostfake.Disk{{Path: `C:\VMs\` + o.Name + `\` + o.Name + `.vhdx`, File: s.Disk, ControllerType: "SCSI", SizeBytes: int64(o.DiskMiB) << 20}},
		NICs:  []hostfake.NIC{{Name: "Network Adapter", MAC: "00155D010203", Switch: "External", VLAN: 12}}})
	three := 3
	host.AddVM(hostfake.VM{ID: "0e9d8c7b-6a59-4837-2615-fedcba987654", Name: "sql-01", State: "Running", Generation: 2, CPUs: 4, MemoryMB: 8192,
		Disks: []hostfake.Disk{{Path: `C:\VMs\sql-01\os.vhdx`, File: s.Disk, ControllerType: "SCSI", SizeBytes: int64(o.DiskMiB) << 20},
			{ControllerType: "SCSI", Location: 1, DiskNumber: &three}}})
	host.AddVM(hostfake.VM{ID: "11111111-2222-3333-4444-555555555555", Name: "legacy-01", State: "Off", Generation: 1, CPUs: 1, MemoryMB: 1024,
		Notes: "tag: env=test", Disks: []hostfake.Disk{{Path: `C:\VMs\legacy-01\legacy.vhdx`, File: s.Disk, ControllerType: "IDE", SizeBytes: int64(o.DiskMiB) << 20}}})
	for i := range o.ExtraVMs {
		host.AddVM(hostfake.VM{ID: fmt.Sprintf("aaaaaaaa-0000-0000-0000-%012d", i), Name: fmt.Sprintf("bulk-%03d", i), State: "Off", Generation: 2, CPUs: 1, MemoryMB: 512})
	}
	return s, nil
}

// makeDisk writes a raw image of size bytes with data in several places and converts it to
// VHDX with qemu-img.
func makeDisk(raw, vhdx string, size int64) error {
	f, err := os.Create(raw)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	block := bytes.Repeat([]byte("hyper-v guest data "), 1<<15)
	for off := int64(0); off+int64(len(block)) <= size; off += 3 << 20 {
		if _, err := f.WriteAt(block, off); err != nil {
			f.Close()
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if out, err := exec.Command("qemu-img", "convert", "-f", "raw", "-O", "vhdx", raw, vhdx).CombinedOutput(); err != nil {
		return fmt.Errorf("qemu-img convert to vhdx: %w: %s", err, out)
	}
	return nil
}

// Settings is the providers.hyperv section for the plugin.
func (s *Standin) Settings() map[string]any {
	return map[string]any{"host": "127.0.0.1", "winrm_endpoint": s.WSMan.Endpoint(), "winrm_auth": "basic",
		"username": s.SMB.User, "password": s.SMB.Password, "export_share": smbd.Share, "export_path": Root,
		"smb_address": s.proxy.addr(), "poll_interval": "20ms", "chunk_size_mb": 1, "download_workers": 4}
}

// SMBBytes is how many bytes the share has sent.
func (s *Standin) SMBBytes() int64 { return s.proxy.bytes.Load() }

// Close stops everything.
func (s *Standin) Close() {
	if s.WSMan != nil {
		s.WSMan.Close()
	}
	if s.proxy != nil {
		s.proxy.close()
	}
	s.SMB.Stop()
}

// StartT starts a stand-in for a test (failing under CI=true without smbd, root or qemu-img)
// and fails the test at its end if the host was sent a script it does not know or a request
// the WS-Management fake could not read.
func StartT(t testing.TB, o Options) *Standin {
	t.Helper()
	providertest.NeedTool(t, "qemu-img", "apt-get install qemu-utils")
	smbd.NeedSMBD(t)
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	s, err := Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		for _, p := range append(s.Host.Problems(), s.WSMan.Problems()...) {
			t.Errorf("Hyper-V stand-in: %s", p)
		}
	})
	return s
}
