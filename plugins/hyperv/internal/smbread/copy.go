package smbread

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cloudsoda/go-smb2"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Options tune a copy.
type Options struct {
	Workers int   // ReadAt calls in flight (default 8)
	Chunk   int64 // bytes per ReadAt (default 8 MiB)
	// Retries is how often one chunk is read again after its connection dropped (default 5),
	// dialling again each time with a growing pause.
	Retries int
	// Progress is called with the bytes copied so far, from any worker.
	Progress func(done, total int64)
	// Reconnected is called each time a dropped connection is dialled again.
	Reconnected func(err error)
}

// Copy copies the file name on the share into local (created or truncated) and returns its size.
func Copy(ctx context.Context, src Source, name, local string, o Options) (int64, error) {
	if o.Workers <= 0 {
		o.Workers = 8
	}
	if o.Chunk <= 0 {
		o.Chunk = 8 << 20
	}
	if o.Retries <= 0 {
		o.Retries = 5
	}
	c := &conn{src: src, name: name}
	defer c.close()
	size, err := c.size(ctx)
	if err != nil {
		return 0, err
	}
	out, err := os.OpenFile(local, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", local, err)
	}
	if err := out.Truncate(size); err != nil {
		out.Close()
		return 0, fmt.Errorf("size %s: %w", local, err)
	}
	err = copyChunks(ctx, c, out, size, o)
	if err == nil {
		// Durable before the host is told: it verifies and keeps what it is handed.
		if err = out.Sync(); err != nil {
			err = fmt.Errorf("sync %s: %w", local, err)
		}
	}
	if cerr := out.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", local, cerr)
	}
	if err == nil {
		err = diskfile.SyncDir(filepath.Dir(local))
	}
	if err != nil {
		return 0, err
	}
	return size, nil
}

func copyChunks(ctx context.Context, c *conn, out *os.File, size int64, o Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int64)
	var done atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, o.Chunk)
			for off := range next {
				n := min(o.Chunk, size-off)
				if err := c.readChunk(ctx, buf[:n], off, o); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				if !allZero(buf[:n]) {
					if _, err := out.WriteAt(buf[:n], off); err != nil {
						once.Do(func() { firstErr = fmt.Errorf("write %s at %d: %w", out.Name(), off, err); cancel() })
						return
					}
				}
				if d := done.Add(n); o.Progress != nil {
					o.Progress(d, size)
				}
			}
		}()
	}
feed:
	for off := int64(0); off < size; off += o.Chunk {
		select {
		case next <- off:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("copy %s: %w", c.name, err)
	}
	return nil
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// conn is the session the workers share; a worker that sees it break dials it again once for
// everyone (gen tells a break already repaired from a new one).
type conn struct {
	src  Source
	name string

	mu  sync.Mutex
	gen int
	m   *Mount
	f   *smb2.File
}

func (c *conn) file(ctx context.Context) (*smb2.File, int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.f != nil {
		return c.f, c.gen, nil
	}
	m, err := c.src.Dial(ctx)
	if err != nil {
		return nil, c.gen, err
	}
	f, err := m.Share.Open(c.name)
	if err != nil {
		_ = m.Close()
		return nil, c.gen, c.src.classify("open "+c.name, err)
	}
	c.m, c.f = m, f
	return f, c.gen, nil
}

// broken drops the session of generation gen, if it is still the current one.
func (c *conn) broken(gen int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen || c.m == nil {
		return
	}
	_ = c.f.Close() // the connection is gone: closing reports that again
	_ = c.m.Close()
	c.m, c.f = nil, nil
	c.gen++
}

func (c *conn) close() {
	c.broken(c.gen)
}

func (c *conn) size(ctx context.Context) (int64, error) {
	f, _, err := c.file(ctx)
	if err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, c.src.classify("stat "+c.name, err)
	}
	return st.Size(), nil
}

// readChunk fills buf from off, dialling again after a dropped connection.
func (c *conn) readChunk(ctx context.Context, buf []byte, off int64, o Options) error {
	var last error
	for attempt := 0; attempt <= o.Retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return fmt.Errorf("read %s at %d: %w", c.name, off, ctx.Err())
			case <-time.After(time.Duration(attempt*attempt) * 100 * time.Millisecond):
			}
		}
		f, gen, err := c.file(ctx)
		if err != nil {
			if !retryable(ctx, err) {
				return err
			}
			last = err
			continue
		}
		n, err := readAt(f, buf, off)
		if err == nil || (errors.Is(err, io.EOF) && n == len(buf)) {
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("read %s at %d: %w", c.name, off, ctx.Err())
		}
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("read %s at %d: %w: the file is shorter than it was (%d of %d bytes)", c.name, off, io.ErrUnexpectedEOF, n, len(buf))
		}
		last = err
		c.broken(gen)
		if o.Reconnected != nil {
			o.Reconnected(err)
		}
	}
	return fmt.Errorf("read %s at %d: %w: gave up after %d attempts: %v", c.name, off, provider.ErrUnavailable, o.Retries+1, last)
}

// retryable: a dial that failed for the connection's sake, not for the credentials, a missing
// share or file, or cancellation.
func retryable(ctx context.Context, err error) bool {
	return ctx.Err() == nil && errors.Is(err, provider.ErrUnavailable) &&
		!errors.Is(err, provider.ErrAuth) && !errors.Is(err, fs.ErrNotExist)
}

// readAt is f.ReadAt with go-smb2's panics turned into errors: when the connection drops while
// a read waits for its answer, the client may slice an empty packet and panic in the reader's
// own goroutine. That is a broken connection like any other: redialled and read again.
func readAt(f interface {
	ReadAt([]byte, int64) (int, error)
}, buf []byte, off int64) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			n, err = 0, fmt.Errorf("the SMB client failed on a dropped connection: %v", r)
		}
	}()
	return f.ReadAt(buf, off)
}
