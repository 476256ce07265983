package vsphere

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vmware/govmomi/nfc"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/hypersdk/hypersdk/sdk/diskconv"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// leaseKeepAlive is how often lease progress is reported; vCenter drops a lease it has not
// heard from within its timeout (300 s by default).
const leaseKeepAlive = 5 * time.Second

// ExportVM exports a VM through ExportVm's NFC lease: disks as streamOptimized VMDKs downloaded
// in parallel into spec.Dir, and for ovf/ova the descriptor from vCenter's OVF manager.
// Packaging (manifest, OVA tar) is the daemon's job. The VM powered off for shutdown_vm and the
// lease are holds, recorded before they are made (see export_holds.go).
func (p *Provider) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	pool, err := p.sessions()
	if err != nil {
		return provider.ExportResult{}, err
	}
	var res provider.ExportResult
	err = pool.do(ctx, func(c *conn) (e error) {
		res, e = p.export(ctx, c, spec, r)
		return e
	})
	return res, err
}

func (p *Provider) export(ctx context.Context, c *conn, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	token := decodeToken(spec.ResumeToken)
	r.Progress(provider.Progress{Phase: provider.PhasePreparing, Message: "reading VM " + spec.VMID})
	vm, m, err := p.getVM(ctx, c, spec.VMID)
	if err != nil {
		return provider.ExportResult{}, err
	}
	vmObj := object.NewVirtualMachine(c.vim, m.Self)
	power, err := p.powerOffForExport(ctx, c, vmObj, vm, spec, &token, r)
	if err != nil {
		return provider.ExportResult{}, err
	}
	if power != nil && vm.PowerState == provider.PowerOn && len(token.Disks) > 0 {
		// The disks an earlier attempt finished were read before the VM ran again (powered on
		// by someone, or never quite off): beside disks read now they would not be one VM. A
		// VM still off under an earlier attempt's power hold keeps them (power is nil).
		provider.Logger(ctx).Info("the VM ran since an earlier attempt; exporting its finished disks again", "vm", spec.VMID, "disks", len(token.Disks))
		token.Disks = map[int]finished{}
	}
	res, err := p.exportLeased(ctx, c, vmObj, m.Self, vm, spec, &token, r)
	if err != nil {
		// A VM this export powered off stays off and held: the host's Release powers it on
		// when it releases the job's holds.
		return res, err
	}
	if power != nil {
		powerBackOn(ctx, vmObj, *power, r)
	}
	provider.Logger(ctx).Info("export complete", "vm", spec.VMID, "artifacts", len(res.Artifacts))
	return res, nil
}

// exportLeased writes the VM's disks (and for ovf/ova its descriptor) under an NFC export lease,
// which it completes after a good export and aborts after a failed one.
func (p *Provider) exportLeased(ctx context.Context, c *conn, vmObj *object.VirtualMachine, self types.ManagedObjectReference,
	vm provider.VM, spec provider.ExportSpec, token *resumeToken, r provider.Reporter) (res provider.ExportResult, err error) {
	r.Progress(provider.Progress{Phase: provider.PhasePreparing, Message: "opening the NFC export lease"})
	lease, hold, err := openLease(ctx, c, vmObj, vm, r)
	if err != nil {
		return res, err
	}
	defer func() {
		if cerr := closeLease(ctx, lease, hold, err, r); cerr != nil && err == nil {
			err = cerr
		}
	}()
	info, err := lease.Wait(ctx, nil)
	if err != nil {
		return res, fmt.Errorf("export lease for %s: %w", vm.Name, err)
	}

	base := provider.SafeName(vm.Name)
	files, artifacts, err := p.downloadDisks(ctx, c, lease, info, vm, base, spec, token, r)
	if err != nil {
		return res, err
	}
	res = provider.ExportResult{VM: vm, Artifacts: artifacts}
	if spec.Options.RemoveCDROM {
		res.VM.CDROMs = nil
	}
	if spec.Method == provider.MethodVMDK {
		return res, nil
	}
	r.Progress(provider.Progress{Phase: provider.PhaseFinishing, Message: "writing the OVF descriptor"})
	desc, err := createDescriptor(ctx, c, self, vm.Name, files)
	if err != nil {
		return res, err
	}
	if spec.Options.RemoveCDROM {
		desc = stripCDROMs(desc)
	}
	a, err := writeArtifact(spec.Dir, base+".ovf", []byte(desc), provider.KindDescriptor, "ovf")
	if err != nil {
		return res, err
	}
	res.Artifacts = append(res.Artifacts, a)
	return res, nil
}

// downloadDisks fetches every disk of the lease with up to download_workers at once, skipping
// disks a previous attempt finished, and keeps the lease alive meanwhile. The finished disks
// are checked, and every path made, before the first worker starts: once workers run, the
// counters and the token are theirs and the tally's.
func (p *Provider) downloadDisks(ctx context.Context, c *conn, lease *nfc.Lease, info *nfc.LeaseInfo, vm provider.VM,
	base string, spec provider.ExportSpec, token *resumeToken, r provider.Reporter) ([]types.OvfFile, []provider.Artifact, error) {
	type job struct {
		disk       int
		item       nfc.FileItem
		name, path string
	}
	var jobs []job
	for i, d := range info.DeviceUrl {
		if d.Disk != nil && *d.Disk {
			jobs = append(jobs, job{disk: len(jobs), item: info.Items[i]})
		}
	}
	if len(jobs) != len(vm.Disks) {
		return nil, nil, fmt.Errorf("export lease of %s offers %d disks, the VM has %d", vm.Name, len(jobs), len(vm.Disks))
	}
	capacities := make([]int64, len(jobs))
	for i := range jobs {
		capacities[i] = max(vm.Disks[i].CapacityBytes, 1)
	}
	tally := newDiskTally(token, capacities)
	// Hashing the finished disks of a large VM can outlast the lease timeout: keep it alive already.
	defer keepLeaseAlive(ctx, lease, p.leaseKeepAlive(), tally.percent)()

	var (
		mu        sync.Mutex
		files     = make([]types.OvfFile, len(jobs))
		artifacts = make([]provider.Artifact, len(jobs))
		converted []provider.Artifact
		firstErr  error
		pending   []job
	)
	for _, j := range jobs {
		j.name = fmt.Sprintf("%s-disk%d.vmdk", base, j.disk)
		path, err := provider.SafeJoin(spec.Dir, j.name)
		if err != nil {
			return nil, nil, err
		}
		j.path = path
		if prev, ok := tally.previous(j.disk); ok && prev.File == j.name && fileMatches(path, prev.Size, prev.SHA256) {
			provider.Logger(ctx).Info("disk already downloaded by an earlier attempt", "disk", j.disk, "file", j.name)
			files[j.disk] = types.OvfFile{DeviceId: j.item.DeviceId, Path: j.name, Size: prev.Size}
			artifacts[j.disk] = provider.Artifact{Path: j.name, Kind: provider.KindDisk, Format: "vmdk-stream", Size: prev.Size, SHA256: prev.SHA256, Disk: j.disk}
			tally.progress(j.disk, prev.Size, prev.Size)
			r.Progress(provider.Progress{Phase: provider.PhaseDownloading, Disk: j.disk, DiskName: j.name, BytesDone: prev.Size, BytesTotal: prev.Size})
			continue
		}
		pending = append(pending, j)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sem := make(chan struct{}, p.settings.DownloadWorkers)
	var wg sync.WaitGroup
	for _, j := range pending {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				return
			}
			format := convertTo(spec)
			d := download{
				client: &c.vim.Client.Client, url: j.item.URL, path: j.path, chunk: max(spec.ChunkSize, 64<<10),
				maxRetries: spec.MaxRetries, estimate: capacities[j.disk], convertTo: format,
				convertPath: strings.TrimSuffix(j.path, ".vmdk") + "." + format,
				convertOnly: spec.ConvertOnly && format != "",
				progress: func(done, tot int64) {
					tally.progress(j.disk, done, tot)
					r.Progress(provider.Progress{Phase: provider.PhaseDownloading, Disk: j.disk, DiskName: j.name, BytesDone: done, BytesTotal: tot})
				},
			}
			got, err := d.run(ctx)
			// Under mu, so the checkpoints go out in the order the token grew.
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("export disk %d of %s: %w", j.disk, vm.Name, err)
					cancel()
				}
				return
			}
			// The descriptor names the disk file even when only its conversion was kept.
			files[j.disk] = types.OvfFile{DeviceId: j.item.DeviceId, Path: j.name, Size: got.size}
			if got.sha256 != "" {
				artifacts[j.disk] = provider.Artifact{Path: j.name, Kind: provider.KindDisk, Format: "vmdk-stream", Size: got.size, SHA256: got.sha256, Disk: j.disk}
				if cerr := r.Checkpoint(ctx, tally.finish(j.disk, finished{File: j.name, Size: got.size, SHA256: got.sha256})); cerr != nil && firstErr == nil {
					firstErr = fmt.Errorf("record disk %d of %s as exported: %w", j.disk, vm.Name, cerr)
					cancel()
				}
			}
			if got.converted {
				conv := strings.TrimSuffix(j.name, ".vmdk") + "." + format
				converted = append(converted, provider.Artifact{Path: conv, Kind: provider.KindConvertedDisk, Format: format, Size: fileSize(filepath.Join(spec.Dir, conv)), Disk: j.disk})
			}
		}()
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = ctx.Err()
	}
	var out []provider.Artifact
	for _, a := range artifacts {
		if a.Path != "" { // a convert-only disk has no file of its own
			out = append(out, a)
		}
	}
	return files, append(out, converted...), firstErr
}

// keepLeaseAlive reports percent() to the lease every interval until the returned stop is called.
func keepLeaseAlive(ctx context.Context, lease *nfc.Lease, every time.Duration, percent func() int32) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				_ = lease.Progress(ctx, percent()) // a missed report is retried at the next tick
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// leaseKeepAlive is how often this provider reports lease progress.
func (p *Provider) leaseKeepAlive() time.Duration {
	if p.keepAlive > 0 {
		return p.keepAlive
	}
	return leaseKeepAlive
}

// convertTo is the image format to decode the downloads into, when the daemon asked for one
// this provider can make.
func convertTo(spec provider.ExportSpec) string {
	switch spec.ConvertTo {
	case diskconv.QCOW2, diskconv.Raw:
		return spec.ConvertTo
	}
	return ""
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return -1
	}
	return st.Size()
}

// fileMatches reports whether path holds exactly size bytes with the given SHA-256.
func fileMatches(path string, size int64, sum string) bool {
	st, err := os.Stat(path)
	if err != nil || st.Size() != size {
		return false
	}
	got, _, err := provider.FileSHA256(path)
	return err == nil && got == sum
}
