package awsprovider

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ebs"
	ebstypes "github.com/aws/aws-sdk-go-v2/service/ebs/types"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// listPageSize is MaxResults of ListSnapshotBlocks (the API allows 100-10000); tests lower it
// to page through small volumes.
var listPageSize int32 = 10000

const (
	// checksumAttempts: a block whose bytes fail their SHA-256 is fetched again, this many
	// times in all, before the export fails.
	checksumAttempts = 4
	// tokenRefreshes: a block whose token expired is listed again for a fresh one this often.
	tokenRefreshes = 3
	// tokenMargin: a block token this close to its expiry is refreshed before use.
	tokenMargin = 2 * time.Minute
)

// blockRef is one listed block: its index and the token that reads it until expiry.
type blockRef struct {
	index  int32
	token  string
	expiry time.Time
}

// volumeDownload reads one snapshot's written blocks into a sparse raw file: a lister pages
// through ListSnapshotBlocks while download_workers workers GetSnapshotBlock in parallel, check
// each block's SHA-256, and WriteAt it at index × block size. Blocks of zeros are not written,
// so the file holds data only where the volume does.
type volumeDownload struct {
	x        *exportRun
	disk     int
	snapshot string
	file     *os.File
	capacity int64
	cursor   volumeCursor // where an earlier attempt stopped

	tracker   *blockTracker
	mu        sync.Mutex
	blockSize int64
	listed    int64 // blocks listed by this attempt
	listDone  bool
	lastSent  time.Time
}

func (d *volumeDownload) client() *ebs.Client { return d.x.rc.ebs }

// run downloads the volume; it returns when every block is written, or on the first error.
func (d *volumeDownload) run(parent context.Context) error {
	d.tracker = newBlockTracker(d.cursor.Next)
	d.progress(true)
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	workers := d.x.st.settings.DownloadWorkers
	blocks := make(chan blockRef, workers*4)
	listErr := make(chan error, 1)
	go func() {
		defer close(blocks)
		listErr <- d.list(ctx, blocks)
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1<<20)
			for b := range blocks {
				if ctx.Err() != nil {
					return
				}
				if err := d.fetchAndWrite(ctx, b, buf); err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := <-listErr; err != nil && context.Cause(ctx) == nil {
		return err
	}
	if err := context.Cause(ctx); err != nil {
		if parent.Err() != nil {
			return parent.Err()
		}
		return err
	}
	d.progress(true)
	return d.checkpoint(parent, true)
}

// list pages through the snapshot's written blocks from the cursor on, in index order, and
// hands them to the workers. Empty pages with a NextToken are followed; an expired page token
// restarts the listing after the last block seen.
func (d *volumeDownload) list(ctx context.Context, out chan<- blockRef) error {
	start := d.cursor.Next
	var next *string
	for {
		in := &ebs.ListSnapshotBlocksInput{SnapshotId: aws.String(d.snapshot), MaxResults: aws.Int32(listPageSize), NextToken: next}
		if next == nil {
			in.StartingBlockIndex = aws.Int32(start)
		}
		page, err := d.client().ListSnapshotBlocks(ctx, in)
		var ve *ebstypes.ValidationException
		if errors.As(err, &ve) && ve.Reason == ebstypes.ValidationExceptionReasonInvalidPageToken && next != nil {
			next = nil
			continue
		}
		if err != nil {
			return d.x.blockError(fmt.Sprintf("list the blocks of snapshot %s", d.snapshot), d.snapshot, err)
		}
		d.mu.Lock()
		if d.blockSize == 0 {
			d.blockSize = int64(aws.ToInt32(page.BlockSize))
		}
		bs := d.blockSize
		d.mu.Unlock()
		if bs <= 0 || bs > 1<<20 || int64(aws.ToInt32(page.BlockSize)) != bs {
			return fmt.Errorf("snapshot %s: EBS direct reports block size %d; want a fixed size up to 1 MiB", d.snapshot, aws.ToInt32(page.BlockSize))
		}
		expiry := aws.ToTime(page.ExpiryTime)
		for _, b := range page.Blocks {
			idx := aws.ToInt32(b.BlockIndex)
			if idx < start {
				return fmt.Errorf("snapshot %s: EBS direct listed block %d after %d; blocks come in index order", d.snapshot, idx, start)
			}
			if (int64(idx)+1)*bs > d.capacity {
				return fmt.Errorf("snapshot %s: block %d lies beyond the volume's %d bytes", d.snapshot, idx, d.capacity)
			}
			start = idx + 1
			d.tracker.dispatch(idx)
			d.mu.Lock()
			d.listed++
			d.mu.Unlock()
			select {
			case out <- blockRef{index: idx, token: aws.ToString(b.BlockToken), expiry: expiry}:
			case <-ctx.Done():
				return nil
			}
		}
		if page.NextToken == nil || aws.ToString(page.NextToken) == "" {
			d.mu.Lock()
			d.listDone = true
			d.mu.Unlock()
			return nil
		}
		next = page.NextToken
	}
}

// fetchAndWrite reads one block — a fresh token when it expired, again when its SHA-256 does
// not match, the SDK retrying throttling with backoff — and writes it unless it is all zeros.
func (d *volumeDownload) fetchAndWrite(ctx context.Context, b blockRef, buf []byte) error {
	refreshes, mismatches := 0, 0
	for {
		if time.Until(b.expiry) < tokenMargin && refreshes < tokenRefreshes {
			var err error
			refreshes++
			if b, err = d.refresh(ctx, b.index); err != nil {
				return err
			}
		}
		data, err := d.fetch(ctx, b, buf)
		var ve *ebstypes.ValidationException
		switch {
		case errors.As(err, &ve) && ve.Reason == ebstypes.ValidationExceptionReasonInvalidBlockToken && refreshes < tokenRefreshes:
			refreshes++
			d.x.log.Debug("block token refused; listing the block again", "snapshot", d.snapshot, "block", b.index)
			if b, err = d.refresh(ctx, b.index); err != nil {
				return err
			}
			continue
		case errors.Is(err, errChecksum):
			mismatches++
			if mismatches < checksumAttempts {
				d.x.log.Warn("block failed its checksum; fetching it again", "snapshot", d.snapshot, "block", b.index, "attempt", mismatches)
				continue
			}
			return fmt.Errorf("block %d of snapshot %s failed its SHA-256 check %d times in a row: %w", b.index, d.snapshot, mismatches, err)
		case err != nil:
			return err
		}
		if !allZero(data) {
			if _, err := d.file.WriteAt(data, int64(b.index)*int64(len(data))); err != nil {
				return fmt.Errorf("write block %d of snapshot %s: %w", b.index, d.snapshot, err)
			}
		}
		d.tracker.finish(b.index)
		d.progress(false)
		return d.checkpoint(ctx, false)
	}
}

var errChecksum = errors.New("checksum mismatch")

// fetch is one GetSnapshotBlock, its body read whole into buf and checked against
// X-Amz-Checksum.
func (d *volumeDownload) fetch(ctx context.Context, b blockRef, buf []byte) ([]byte, error) {
	out, err := d.client().GetSnapshotBlock(ctx, &ebs.GetSnapshotBlockInput{SnapshotId: aws.String(d.snapshot),
		BlockIndex: aws.Int32(b.index), BlockToken: aws.String(b.token)})
	if err != nil {
		var ve *ebstypes.ValidationException
		if errors.As(err, &ve) && ve.Reason == ebstypes.ValidationExceptionReasonInvalidBlockToken {
			return nil, err
		}
		return nil, d.x.blockError(fmt.Sprintf("read block %d of snapshot %s", b.index, d.snapshot), d.snapshot, err)
	}
	defer out.BlockData.Close()
	d.mu.Lock()
	bs := d.blockSize
	d.mu.Unlock()
	if n := int64(aws.ToInt32(out.DataLength)); n != bs {
		return nil, fmt.Errorf("block %d of snapshot %s: X-Amz-Data-Length %d, want the block size %d", b.index, d.snapshot, n, bs)
	}
	data := buf[:bs]
	if _, err := io.ReadFull(out.BlockData, data); err != nil {
		return nil, fmt.Errorf("%w: read block %d of snapshot %s: %v", provider.ErrUnavailable, b.index, d.snapshot, err)
	}
	if out.ChecksumAlgorithm != ebstypes.ChecksumAlgorithmChecksumAlgorithmSha256 || aws.ToString(out.Checksum) == "" {
		return nil, fmt.Errorf("block %d of snapshot %s came without a SHA-256 checksum (algorithm %q)", b.index, d.snapshot, out.ChecksumAlgorithm)
	}
	sum := sha256.Sum256(data)
	if got := base64.StdEncoding.EncodeToString(sum[:]); got != aws.ToString(out.Checksum) {
		return nil, fmt.Errorf("%w: X-Amz-Checksum %s, bytes hash to %s", errChecksum, aws.ToString(out.Checksum), got)
	}
	return data, nil
}

// refresh lists one block again for a fresh token.
func (d *volumeDownload) refresh(ctx context.Context, idx int32) (blockRef, error) {
	page, err := d.client().ListSnapshotBlocks(ctx, &ebs.ListSnapshotBlocksInput{SnapshotId: aws.String(d.snapshot),
		StartingBlockIndex: aws.Int32(idx), MaxResults: aws.Int32(100)})
	if err != nil {
		return blockRef{}, d.x.blockError(fmt.Sprintf("list block %d of snapshot %s for a fresh token", idx, d.snapshot), d.snapshot, err)
	}
	for _, b := range page.Blocks {
		if aws.ToInt32(b.BlockIndex) == idx {
			return blockRef{index: idx, token: aws.ToString(b.BlockToken), expiry: aws.ToTime(page.ExpiryTime)}, nil
		}
	}
	return blockRef{}, fmt.Errorf("block %d of snapshot %s is no longer listed", idx, d.snapshot)
}

// progress reports the bytes written: of the blocks listed so far while listing goes on (the
// volume's capacity standing in for the total), of all of them once it is done. It reports at
// most every 200ms unless forced.
func (d *volumeDownload) progress(force bool) {
	d.mu.Lock()
	now := time.Now()
	if !force && now.Sub(d.lastSent) < 200*time.Millisecond {
		d.mu.Unlock()
		return
	}
	d.lastSent = now
	bs, listed, listDone := d.blockSize, d.listed, d.listDone
	d.mu.Unlock()
	done := d.cursor.Bytes + d.tracker.count()*bs
	total := d.capacity
	if listDone {
		total = d.cursor.Bytes + listed*bs
	}
	disk := d.x.vm.Disks[d.disk]
	d.x.r.Progress(provider.Progress{Phase: provider.PhaseDownloading, Disk: d.disk, DiskName: disk.Label, BytesDone: done, BytesTotal: total})
}

// checkpoint stores the volume's watermark in the resume token, at most every
// checkpointEvery (and at the end).
func (d *volumeDownload) checkpoint(ctx context.Context, complete bool) error {
	next, below := d.tracker.watermark()
	d.mu.Lock()
	bs := d.blockSize
	d.mu.Unlock()
	d.x.cursors.set(d.disk, volumeCursor{Volume: d.cursor.Volume, Snapshot: d.snapshot, Next: next, Bytes: d.cursor.Bytes + below*bs, Complete: complete})
	return d.x.checkpoint(ctx, complete)
}

func allZero(b []byte) bool {
	var zero [4096]byte
	for len(b) > 0 {
		n := min(len(b), len(zero))
		if !bytes.Equal(b[:n], zero[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}
