package azure

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// checkpointEvery is how often a download hands the host its progress.
const checkpointEvery = 2 * time.Second

// download grants read access to disk i's snapshot (a grant hold first) and writes the
// snapshot's allocated pages into a sparse file, resuming what the token says is written. A
// SAS that stops being honoured mid-copy (expired, revoked) is granted again and only what is
// missing is read; it must have moved the copy on since the last grant, or the export fails.
func (e *exportRun) download(ctx context.Context, i int, d diskDetail) (provider.Artifact, error) {
	disk := e.vm.Disks[i]
	st := e.state(disk.Key)
	isVHD := d.sectorSize != 4096
	format, ext := provider.FormatRaw, ".raw"
	if !isVHD {
		// Azure serves a 4K-sector disk as VHDX; the host converts it.
		format, ext = provider.FormatVHDX, ".vhdx"
	}
	file := provider.SafeName(e.vm.Name) + "-" + disk.Key + ext
	path, err := provider.SafeJoin(e.spec.Dir, file)
	if err != nil {
		return provider.Artifact{}, err
	}
	if st.Complete && st.File == file {
		if fi, err := os.Stat(path); err == nil && fi.Size() == st.DataSize {
			provider.Logger(ctx).Info("disk written by an earlier attempt", "disk", disk.Key)
			return artifact(path, file, format, i, st.DataSize)
		}
	}
	h := grantHold(e.s.SubscriptionID, st.ResourceGroup, st.Snapshot)
	if err := e.r.Hold(ctx, h); err != nil {
		return provider.Artifact{}, fmt.Errorf("record the grant hold before granting access: %w", err)
	}
	var entra azcore.TokenCredential
	if d.authMode == armcompute.DataAccessAuthModeAzureActiveDirectory {
		entra = e.c.cred
	}
	fileFormat := armcompute.FileFormatVHD
	if !isVHD {
		fileFormat = armcompute.FileFormatVHDX
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return provider.Artifact{}, fmt.Errorf("open %s: %w", file, err)
	}
	defer f.Close()
	var alloc []span
	var dataSize int64
	// Each round grants access, then reads what is missing. A SAS that is refused (expired,
	// revoked) gets one more grant; a second refusal in a row, with nothing read between, fails.
	for stalled := 0; ; {
		moved, err := func() (bool, error) {
			sas, err := e.grant(ctx, i, st, fileFormat)
			if err != nil {
				return false, err
			}
			src, err := openBlob(ctx, sas, e.s.MaxRetries, isVHD, entra)
			if err != nil {
				return false, err
			}
			if alloc == nil {
				if err := e.prepareFile(f, file, st, src.dataSize); err != nil {
					return false, err
				}
				if alloc, err = src.allocated(ctx, e.p.rangeSegment); err != nil {
					return false, err
				}
				dataSize = src.dataSize
				provider.Logger(ctx).Info("downloading the snapshot's allocated pages", "disk", disk.Key, "size", dataSize, "allocated", total(alloc), "ranges", len(alloc))
			}
			return e.fetchMissing(ctx, i, src, f, alloc, st)
		}()
		if err == nil {
			break
		}
		if moved {
			stalled = 0
		}
		if !errors.Is(err, errGrantGone) || stalled > 0 {
			return provider.Artifact{}, err
		}
		stalled++
		provider.Logger(ctx).Warn("the SAS is no longer honoured: granting access again for what is missing", "disk", disk.Key, "error", err)
	}
	if err := f.Sync(); err != nil {
		return provider.Artifact{}, fmt.Errorf("sync %s: %w", file, err)
	}
	e.mu.Lock()
	st.Complete = true
	e.mu.Unlock()
	if err := e.checkpoint(ctx); err != nil {
		return provider.Artifact{}, err
	}
	return artifact(path, file, format, i, dataSize)
}

// prepareFile sizes the disk file: kept as it is when the token says it holds part of this
// snapshot's disk, emptied otherwise.
func (e *exportRun) prepareFile(f *os.File, file string, st *diskState, size int64) error {
	e.mu.Lock()
	var err error
	if st.File != file || st.DataSize != size {
		st.File, st.DataSize, st.Done, st.Complete = file, size, diskDone{}, false
		err = f.Truncate(0)
	}
	e.mu.Unlock()
	if err == nil {
		err = f.Truncate(size)
	}
	if err != nil {
		return fmt.Errorf("size %s: %w", file, err)
	}
	return nil
}

// fetchMissing reads what of alloc the token does not have yet, checkpointing as it goes.
// moved says whether it wrote anything.
func (e *exportRun) fetchMissing(ctx context.Context, i int, src *blobSource, f *os.File, alloc []span, st *diskState) (bool, error) {
	e.mu.Lock()
	before := st.Done
	e.mu.Unlock()
	todo := chunks(subtract(alloc, before.spans()), int64(e.s.ChunkSizeMB)<<20)
	remaining := total(todo)
	ds := newDoneSet(todo)
	var mu sync.Mutex
	var written int64
	report := func() {
		mu.Lock()
		done := src.dataSize - remaining + written
		mu.Unlock()
		e.r.Progress(provider.Progress{Phase: provider.PhaseDownloading, Disk: i, DiskName: e.vm.Disks[i].Label, BytesDone: done, BytesTotal: src.dataSize})
	}
	save := func() error {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("sync: %w", err)
		}
		mu.Lock()
		now := ds.progress(src.dataSize)
		mu.Unlock()
		for _, x := range before.spans() {
			if x.End > now.Watermark {
				now.Extra = append(now.Extra, span{max(x.Off, now.Watermark), x.End})
			}
		}
		now.Extra = merge(now.Extra)
		e.mu.Lock()
		st.Done = now
		e.mu.Unlock()
		return e.checkpoint(ctx)
	}
	report()
	stop := make(chan struct{})
	ticked := make(chan error, 1)
	go func() {
		t := time.NewTicker(checkpointEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				ticked <- nil
				return
			case <-t.C:
				report()
				if err := save(); err != nil {
					ticked <- err
					return
				}
			}
		}
	}()
	err := fetch(ctx, src, f, todo, e.s.DownloadWorkers, func(c int, n int64) {
		mu.Lock()
		ds.mark(c)
		written += n
		mu.Unlock()
	})
	close(stop)
	if terr := <-ticked; err == nil {
		err = terr
	}
	mu.Lock()
	moved := written > 0
	mu.Unlock()
	// What was written is kept for a retry, also when the copy failed.
	if serr := save(); err == nil {
		err = serr
	}
	report()
	return moved, err
}

// grant asks Azure for a read SAS on the disk's snapshot, reporting the operation's progress.
func (e *exportRun) grant(ctx context.Context, i int, st *diskState, format armcompute.FileFormat) (string, error) {
	op := "grant read access to snapshot " + st.Snapshot
	e.r.Progress(e.cloudProgress(i, provider.PhaseExportingInCloud, st.Snapshot, op, 0))
	secs := int32(max(e.t.sasDuration/time.Second, 1))
	poller, err := e.c.snapshots.BeginGrantAccess(ctx, st.ResourceGroup, st.Snapshot, armcompute.GrantAccessData{
		Access: to.Ptr(armcompute.AccessLevelRead), DurationInSeconds: to.Ptr(secs), FileFormat: to.Ptr(format)}, nil)
	if err != nil {
		return "", armError(op, err)
	}
	resp, err := await(ctx, poller, e.t.pollInterval, func(pct float64) {
		e.r.Progress(e.cloudProgress(i, provider.PhaseExportingInCloud, st.Snapshot, op, pct))
	})
	if err != nil {
		return "", armError(op, err)
	}
	if resp.AccessSAS == nil || *resp.AccessSAS == "" {
		return "", fmt.Errorf("%s: Azure answered without a SAS", op)
	}
	e.r.Progress(e.cloudProgress(i, provider.PhaseExportingInCloud, st.Snapshot, op, 100))
	return *resp.AccessSAS, nil
}

// artifact describes a written disk by its extents: the host verifies its data, not its size.
func artifact(path, file, format string, disk int, size int64) (provider.Artifact, error) {
	extents, err := provider.FileExtents(path)
	if err != nil {
		return provider.Artifact{}, fmt.Errorf("extents of %s: %w", file, err)
	}
	return provider.Artifact{Path: file, Kind: provider.KindDisk, Format: format, Size: size, Disk: disk, Extents: extents, ExtentsKnown: true}, nil
}

// cleanup revokes the grants and deletes the snapshots of a successful export, and tells the
// host; what it cannot undo stays held, for the host to release.
func (e *exportRun) cleanup(ctx context.Context) {
	done, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Minute)
	defer cancel()
	log := provider.Logger(ctx)
	for i := len(e.vm.Disks) - 1; i >= 0; i-- {
		st := e.state(e.vm.Disks[i].Key)
		if st == nil || st.Snapshot == "" {
			continue
		}
		for _, h := range []provider.Hold{grantHold(e.s.SubscriptionID, st.ResourceGroup, st.Snapshot), snapshotHold(e.s.SubscriptionID, st.ResourceGroup, st.Snapshot, "")} {
			if err := e.p.Release(done, h); err != nil {
				log.Warn("could not undo what the export made; the host releases it", "kind", h.Kind, "id", h.ID, "error", err)
				continue
			}
			if err := e.r.Released(done, h); err != nil {
				log.Warn("the host did not store a release; it releases the hold again", "kind", h.Kind, "id", h.ID, "error", err)
			}
		}
	}
}
