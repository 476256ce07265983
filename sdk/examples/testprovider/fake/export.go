package fake

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

const exportChunk = 64 << 10

// ExportVM writes each disk as a raw file of deterministic content, reporting progress per
// chunk. Fault VMs misbehave after the first chunk, mid-export. In cloud mode (cloud.go) a
// snapshot and a grant come first, as holds, and go once the disks are written.
func (p *Provider) ExportVM(ctx context.Context, spec provider.ExportSpec, r provider.Reporter) (provider.ExportResult, error) {
	vm, ok := p.inventory()[spec.VMID]
	if !ok {
		return provider.ExportResult{}, fmt.Errorf("export vm %q: %w", spec.VMID, provider.ErrNotFound)
	}
	p.mu.Lock()
	delay := p.chunkDelay
	p.mu.Unlock()
	log := provider.Logger(ctx).With("vm", vm.ID)
	log.Info("export started", "method", spec.Method, "dir", spec.Dir)
	r.Progress(provider.Progress{Phase: provider.PhasePreparing, Message: "generating disks"})
	if spec.Options.ShutdownVM {
		powerOn, err := p.shutDownForExport(ctx, vm.ID)
		if err != nil {
			return provider.ExportResult{}, err
		}
		defer powerOn()
	}

	var undo []provider.Hold
	if p.cloudPath() != "" {
		if err := spec.Validate(); err != nil { // nothing is made for an export that cannot land
			return provider.ExportResult{}, err
		}
		var err error
		if undo, err = p.prepareInCloud(ctx, spec, vm, r, delay); err != nil {
			return provider.ExportResult{}, fmt.Errorf("export %s: %w", vm.ID, err)
		}
	}

	res := provider.ExportResult{VM: vm}
	for i, d := range vm.Disks {
		name := fmt.Sprintf("%s-disk%d.raw", vm.ID, i)
		path, err := provider.SafeJoin(spec.Dir, name)
		if err != nil {
			return res, err
		}
		sum, err := p.writeDisk(ctx, path, d.CapacityBytes, p.bootSector(d), delay, func(done int64) {
			r.Progress(provider.Progress{Phase: provider.PhaseDownloading, Disk: i, DiskName: name, BytesDone: done, BytesTotal: d.CapacityBytes})
			if done > 0 {
				p.misbehave(ctx, vm.ID)
				p.dieMidExport(ctx)
			}
		})
		if err != nil {
			return res, fmt.Errorf("export disk %d of %s: %w", i, vm.ID, err)
		}
		res.Artifacts = append(res.Artifacts, provider.Artifact{Path: name, Kind: provider.KindDisk, Format: "raw", Size: d.CapacityBytes, SHA256: sum, Disk: i})
		if err := p.describeSparse(path, &res.Artifacts[len(res.Artifacts)-1]); err != nil { // sparse.go
			return res, err
		}
	}
	p.finishInCloud(ctx, r, undo)
	log.Info("export finished", "disks", len(res.Artifacts))
	return res, nil
}

// writeDisk writes size bytes of a repeating pattern to path and returns its SHA-256; with boot
// its first sector ends in an MBR boot signature (guest_disks.go).
func (p *Provider) writeDisk(ctx context.Context, path string, size int64, boot bool, delay time.Duration, progress func(int64)) (string, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if p.sparseDisks() { // sparse.go
		return "", writeSparseDisk(ctx, f, size, boot, delay, progress)
	}
	h := sha256.New()
	buf := make([]byte, exportChunk)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	var done int64
	for done < size {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n := min(int64(len(buf)), size-done)
		chunk := buf[:n]
		if done == 0 {
			chunk = firstChunk(chunk, boot)
		}
		if _, err := f.Write(chunk); err != nil {
			return "", err
		}
		h.Write(chunk)
		done += n
		progress(done)
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
