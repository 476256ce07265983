package vcsim

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/hypersdk/hypersdk/sdk/tempdir"
)

// diskImage is one simulated VM disk: the raw content it was made from and the
// streamOptimized VMDK that replaced the simulator's placeholder on the datastore.
type diskImage struct {
	raw  string
	vmdk string
}

// writeDisks gives every VM disk real content: a raw image with a pattern unique to the VM and
// disk (data blocks spread over the disk, zeros between), converted by qemu-img into the
// streamOptimized VMDK that vCenter's export would serve. The disks are made in parallel, one
// per CPU: compressing dense disks takes qemu-img tens of seconds each.
func (s *Simulator) writeDisks(ctx context.Context, opts Options) error {
	qemuImg, err := exec.LookPath("qemu-img")
	if err != nil {
		return fmt.Errorf("vcsim: qemu-img is needed to make the simulated disks (apt-get install qemu-utils): %w", err)
	}
	dir := opts.Dir
	if dir == "" {
		if dir, err = tempdir.Create("hypersdk-vcsim-"); err != nil {
			return err
		}
		s.tmpDir = dir
	}
	type work struct {
		vm   string
		n    int
		disk *types.VirtualDisk
		img  diskImage
	}
	var todo []work
	for _, obj := range s.model.Map().All("VirtualMachine") {
		vm := obj.(*simulator.VirtualMachine)
		n := 0
		for _, dev := range vm.Config.Hardware.Device {
			disk, ok := dev.(*types.VirtualDisk)
			if !ok {
				continue
			}
			backing, ok := disk.Backing.(types.BaseVirtualDeviceFileBackingInfo)
			if !ok {
				continue
			}
			target, err := s.datastoreFile(backing.GetVirtualDeviceFileBackingInfo().FileName)
			if err != nil {
				return err
			}
			raw := filepath.Join(dir, fmt.Sprintf("%s-disk%d.raw", vm.Name, n))
			todo = append(todo, work{vm: vm.Name, n: n, disk: disk, img: diskImage{raw: raw, vmdk: target}})
			n++
		}
	}
	errs := make([]error, len(todo))
	slots := make(chan struct{}, runtime.NumCPU())
	var wg sync.WaitGroup
	for i, w := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			if err := writeRawImage(w.img.raw, opts.DiskBytes, int64(opts.DataKiBPerMiB)<<10, w.vm, w.n); err != nil {
				errs[i] = err
				return
			}
			cmd := exec.CommandContext(ctx, qemuImg, "convert", "-q", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", w.img.raw, w.img.vmdk)
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("vcsim: qemu-img convert for %s disk %d: %v: %s", w.vm, w.n, err, out)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, w := range todo {
		w.disk.CapacityInBytes = opts.DiskBytes
		w.disk.CapacityInKB = opts.DiskBytes / 1024
		s.disks[w.vm] = append(s.disks[w.vm], w.img)
	}
	return nil
}

// datastoreFile maps "[LocalDS_0] vm/disk1.vmdk" to the file on the simulator's local datastore.
func (s *Simulator) datastoreFile(name string) (string, error) {
	var p object.DatastorePath
	if !p.FromString(name) {
		return "", fmt.Errorf("vcsim: bad datastore path %q", name)
	}
	for _, obj := range s.model.Map().All("Datastore") {
		ds := obj.(*simulator.Datastore)
		if ds.Name == p.Datastore {
			return filepath.Join(ds.Summary.Url, p.Path), nil
		}
	}
	return "", fmt.Errorf("vcsim: no datastore %q", p.Datastore)
}

// writeRawImage writes a sparse image: at the start of every 1 MiB, a block of dataPerMiB
// pseudo-random bytes (ChaCha8 seeded from the VM name, disk index and offset), so each disk
// differs, is the same from run to run, holds data that does not compress away, and the zeros
// between blocks stay sparse as on a real disk.
func writeRawImage(path string, size, dataPerMiB int64, vm string, disk int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return err
	}
	block := make([]byte, dataPerMiB)
	for off := int64(0); off < size; off += 1 << 20 {
		rand.NewChaCha8(sha256.Sum256([]byte(fmt.Sprintf("%s/%d/%d", vm, disk, off)))).Read(block)
		if _, err := f.WriteAt(block[:min(dataPerMiB, size-off)], off); err != nil {
			return err
		}
	}
	return f.Close()
}

func (s *Simulator) removeDisks() {
	if s.tmpDir != "" {
		os.RemoveAll(s.tmpDir)
	}
}

// addDisks gives every VM n more disks on its first disk's controller, through the API as a
// user would, so the simulator creates their backing files.
func (s *Simulator) addDisks(ctx context.Context, n int) error {
	if n <= 0 {
		return nil
	}
	vc, err := vim25.NewClient(ctx, soap.NewClient(s.URL(), true))
	if err != nil {
		return err
	}
	if err := session.NewManager(vc).Login(ctx, url.UserPassword(s.Username(), s.Password())); err != nil {
		return err
	}
	for _, obj := range s.model.Map().All("VirtualMachine") {
		vm := object.NewVirtualMachine(vc, obj.(*simulator.VirtualMachine).Self)
		for i := 0; i < n; i++ {
			devices, err := vm.Device(ctx)
			if err != nil {
				return err
			}
			disks := devices.SelectByType((*types.VirtualDisk)(nil))
			if len(disks) == 0 {
				return fmt.Errorf("vcsim: VM %s has no disk to copy", vm.Reference().Value)
			}
			first := disks[0].(*types.VirtualDisk)
			ctrl := devices.FindByKey(first.ControllerKey).(types.BaseVirtualController)
			ds := first.Backing.(*types.VirtualDiskFlatVer2BackingInfo).Datastore
			disk := devices.CreateDisk(ctrl, *ds, "")
			disk.CapacityInKB = 1024
			if err := vm.AddDevice(ctx, disk); err != nil {
				return fmt.Errorf("vcsim: add disk to %s: %w", vm.Reference().Value, err)
			}
		}
	}
	return nil
}
