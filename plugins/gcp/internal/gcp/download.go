package gcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"cloud.google.com/go/storage"
)

// rangeDownload reads one object into one local file with parallel ranged reads. It knows only
// an object and a file: the image-export build fills the object today, and a worker-VM exporter
// writing the same object can replace the build without touching this.
type rangeDownload struct {
	obj     *storage.ObjectHandle
	path    string
	size    int64 // the object's size, read before the download
	chunk   int64
	workers int
	retries int
	// from is where the download starts: everything before it is in the file already (a
	// resumed download).
	from int64
	// progress gets the bytes in the file so far; mark gets the contiguous prefix written,
	// which a resumed download can start from. Both are called from the download's goroutines,
	// one at a time.
	progress func(done int64)
	mark     func(ctx context.Context, prefix int64) error
	// markEvery is how often mark is called at most.
	markEvery time.Duration
}

// errObjectChanged says the object is not what its size said: shorter (truncated, replaced)
// or gone mid-download.
var errObjectChanged = errors.New("the object changed during the download")

// run downloads [from, size) of the object into the file, created if missing.
func (d *rangeDownload) run(ctx context.Context) error {
	f, err := os.OpenFile(d.path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", d.path, err)
	}
	defer f.Close()
	if err := f.Truncate(d.size); err != nil {
		return fmt.Errorf("size %s to %d bytes: %w", d.path, d.size, err)
	}
	first := d.from / d.chunk
	n := (d.size + d.chunk - 1) / d.chunk
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int64)
	go func() {
		defer close(next)
		for i := first; i < n; i++ {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()

	var mu sync.Mutex
	done := map[int64]bool{}
	prefix, written := first*d.chunk, first*d.chunk
	lastMark := time.Now()
	finished := func(ctx context.Context, i, length int64) error {
		mu.Lock()
		defer mu.Unlock()
		done[i] = true
		written += length
		for done[prefix/d.chunk] && prefix < d.size {
			delete(done, prefix/d.chunk)
			prefix = min(prefix+d.chunk, d.size)
		}
		if d.progress != nil {
			d.progress(written)
		}
		if d.mark != nil && (prefix == d.size || time.Since(lastMark) >= d.markEvery) {
			lastMark = time.Now()
			return d.mark(ctx, prefix)
		}
		return nil
	}

	var wg sync.WaitGroup
	for w := 0; w < d.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, d.chunk)
			for i := range next {
				off := i * d.chunk
				length := min(d.chunk, d.size-off)
				if err := d.readChunk(ctx, f, buf[:length], off); err != nil {
					cancel(err)
					return
				}
				if err := finished(ctx, i, length); err != nil {
					cancel(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", d.path, err)
	}
	return f.Close()
}

// readChunk reads one range into buf and writes it at off, retrying a failed read.
func (d *rangeDownload) readChunk(ctx context.Context, f *os.File, buf []byte, off int64) error {
	var err error
	for attempt := 0; attempt <= d.retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
			}
		}
		err = d.readOnce(ctx, buf, off)
		if err == nil || ctx.Err() != nil || errors.Is(err, errObjectChanged) {
			break
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("read bytes %d-%d of gs://%s/%s: %w", off, off+int64(len(buf))-1, d.obj.BucketName(), d.obj.ObjectName(), err)
	}
	if _, err := f.WriteAt(buf, off); err != nil {
		return fmt.Errorf("write %s at %d: %w", d.path, off, err)
	}
	return nil
}

func (d *rangeDownload) readOnce(ctx context.Context, buf []byte, off int64) error {
	rd, err := d.obj.NewRangeReader(ctx, off, int64(len(buf)))
	if isNotFound(err) || httpCode(err) == 416 {
		return fmt.Errorf("%w: %v", errObjectChanged, err)
	}
	if err != nil {
		return err
	}
	defer rd.Close()
	if size := rd.Attrs.Size; size > 0 && size != d.size {
		return fmt.Errorf("%w: it is %d bytes now, %d when the download began", errObjectChanged, size, d.size)
	}
	if n, err := io.ReadFull(rd, buf); err != nil {
		// A cut connection or a shrunken object: a retry tells them apart (416, another size).
		return fmt.Errorf("%d of %d bytes at offset %d: %w", n, len(buf), off, err)
	}
	return nil
}
