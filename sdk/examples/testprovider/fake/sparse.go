package fake

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// With sparse_disk set, each disk is written the way a cloud disk of which little is used
// comes down: a few runs of data (sparseRun bytes at the start, at a third, at two thirds and
// at the end of the capacity) and holes everywhere else, and its artifact carries its extents
// (provider.FileExtents) instead of a whole-file SHA-256, so the host verifies it by reading
// the runs, not the capacity. A 1 GiB disk holds 4 MiB.
const sparseRun = 1 << 20

// sparseDisks reports whether sparse_disk is set.
func (p *Provider) sparseDisks() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.settings.SparseDisk
}

// dataRuns is where a sparse disk of size bytes holds data, as [start, end) pairs in order,
// merged where they touch; each starts on a 4 KiB boundary, as a filesystem block does.
func dataRuns(size int64) [][2]int64 {
	var runs [][2]int64
	for _, at := range []int64{0, size / 3, 2 * size / 3, size - sparseRun} {
		start := max(at, 0) &^ 4095
		end := min(start+sparseRun, size)
		if n := len(runs); n > 0 && start <= runs[n-1][1] {
			runs[n-1][1] = max(runs[n-1][1], end)
			continue
		}
		runs = append(runs, [2]int64{start, end})
	}
	return runs
}

// writeSparseDisk makes f a file of size bytes holding data in its runs only. Progress counts the capacity passed, holes included, as a sparse download
// does.
func writeSparseDisk(ctx context.Context, f *os.File, size int64, boot bool, delay time.Duration, progress func(int64)) error {
	if err := f.Truncate(size); err != nil {
		return err
	}
	buf := make([]byte, exportChunk)
	for i := range buf {
		buf[i] = byte(i*7) | 1 // never zero: the runs are data, not holes written out
	}
	for _, run := range dataRuns(size) {
		for off := run[0]; off < run[1]; {
			if err := ctx.Err(); err != nil {
				return err
			}
			n := min(int64(len(buf)), run[1]-off)
			chunk := buf[:n]
			if off == 0 {
				chunk = firstChunk(chunk, boot)
			}
			if _, err := f.WriteAt(chunk, off); err != nil {
				return err
			}
			off += n
			progress(off)
			if err := pause(ctx, delay); err != nil {
				return err
			}
		}
	}
	progress(size)
	return f.Sync()
}

func pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// describeSparse gives a disk artifact its extents when sparse_disk is set: the host then
// checks each extent's digest and that the rest reads as zeros.
func (p *Provider) describeSparse(path string, a *provider.Artifact) error {
	if !p.sparseDisks() {
		return nil
	}
	extents, err := provider.FileExtents(path)
	if err != nil {
		return fmt.Errorf("extents of %s: %w", a.Path, err)
	}
	a.Extents, a.ExtentsKnown, a.SHA256 = extents, true, ""
	return nil
}
