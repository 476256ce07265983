package oci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// RangeDownload reads one object of Size bytes into the file Path with Workers parallel
// ranged reads of Chunk bytes, each retried up to Retries times. Get reads one range; it
// knows nothing of OCI, so the benchmark drives the same code with a plain HTTP GET.
type RangeDownload struct {
	Get     func(ctx context.Context, off, n int64) (io.ReadCloser, error)
	Path    string
	Size    int64
	Chunk   int64
	Workers int
	Retries int
	// Progress gets the bytes written so far, from one goroutine at a time.
	Progress func(done int64)
}

// ErrObjectChanged says the object is not what its HEAD said: replaced (If-Match failed),
// shorter, or gone mid-download. Retrying a range does not help.
var ErrObjectChanged = errors.New("the object changed during the download")

// Run downloads the object into the file, created or truncated to Size.
func (d *RangeDownload) Run(ctx context.Context) error {
	f, err := os.OpenFile(d.Path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", d.Path, err)
	}
	defer f.Close()
	if err := f.Truncate(d.Size); err != nil {
		return fmt.Errorf("size %s to %d bytes: %w", d.Path, d.Size, err)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	n := (d.Size + d.Chunk - 1) / d.Chunk
	var next, written atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < max(d.Workers, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, d.Chunk)
			for i := next.Add(1) - 1; i < n && ctx.Err() == nil; i = next.Add(1) - 1 {
				off := i * d.Chunk
				length := min(d.Chunk, d.Size-off)
				if err := d.readChunk(ctx, f, buf[:length], off); err != nil {
					cancel(err)
					return
				}
				done := written.Add(length)
				if d.Progress != nil {
					mu.Lock()
					d.Progress(done)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", d.Path, err)
	}
	return f.Close()
}

// readChunk reads one range into buf and writes it at off, retrying a failed read.
func (d *RangeDownload) readChunk(ctx context.Context, f *os.File, buf []byte, off int64) error {
	var err error
	for attempt := 0; attempt <= d.Retries; attempt++ {
		if attempt > 0 {
			if serr := sleep(ctx, time.Duration(attempt)*200*time.Millisecond); serr != nil {
				return serr
			}
		}
		if err = d.readOnce(ctx, buf, off); err == nil || ctx.Err() != nil || errors.Is(err, ErrObjectChanged) {
			break
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("read bytes %d-%d: %w", off, off+int64(len(buf))-1, err)
	}
	if _, err := f.WriteAt(buf, off); err != nil {
		return fmt.Errorf("write %s at %d: %w", d.Path, off, err)
	}
	return nil
}

func (d *RangeDownload) readOnce(ctx context.Context, buf []byte, off int64) error {
	rd, err := d.Get(ctx, off, int64(len(buf)))
	if err != nil {
		return err
	}
	defer rd.Close()
	if n, err := io.ReadFull(rd, buf); err != nil {
		return fmt.Errorf("%d of %d bytes at offset %d: %w", n, len(buf), off, err)
	}
	return nil
}
