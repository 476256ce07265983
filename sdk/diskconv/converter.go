package diskconv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
)

// Target formats.
const (
	QCOW2 = "qcow2"
	Raw   = "raw"
)

// image is where decoded grains go.
type image interface {
	WriteAt(p []byte, off int64) error
	Close() error
	Abort()
}

// Converter decodes a streamOptimized VMDK written to it in file order into an image at path.
// Write never fails and never blocks for long on a broken stream: a conversion that cannot go on
// drops the rest and reports why at Close.
type Converter struct {
	path   string
	format string
	chunks chan []byte
	done   chan struct{}
	failed atomic.Bool
	err    error // the decoder's verdict, read after done is closed
	closed bool
}

// New starts a conversion into path (created or truncated) in format QCOW2 or Raw.
func New(ctx context.Context, path, format string) (*Converter, error) {
	if format != QCOW2 && format != Raw {
		return nil, fmt.Errorf("diskconv: format %q is not %s or %s", format, QCOW2, Raw)
	}
	c := &Converter{path: path, format: format, chunks: make(chan []byte, 4), done: make(chan struct{})}
	go c.decode(ctx)
	return c, nil
}

// Write hands the next bytes of the VMDK to the decoder. p may be reused when Write returns.
func (c *Converter) Write(p []byte) (int, error) {
	if c.failed.Load() || len(p) == 0 {
		return len(p), nil
	}
	c.chunks <- append([]byte(nil), p...)
	return len(p), nil
}

// Close ends the input and waits for the image: nil means the whole stream was decoded and the
// image at path is complete and synced. On error the file is removed.
func (c *Converter) Close() error {
	if !c.closed {
		c.closed = true
		close(c.chunks)
	}
	<-c.done
	return c.err
}

// Abort gives the conversion up and removes the file.
func (c *Converter) Abort() {
	c.failed.Store(true)
	c.Close()
	os.Remove(c.path)
}

func (c *Converter) decode(ctx context.Context) {
	defer close(c.done)
	defer func() {
		for range c.chunks { // keep Write from blocking after a failure
		}
	}()
	err := c.run(ctx, &chanReader{ctx: ctx, chunks: c.chunks})
	if err != nil {
		c.failed.Store(true)
		os.Remove(c.path)
		c.err = fmt.Errorf("convert %s to %s while downloading: %w", c.path, c.format, err)
	}
}

// run decodes the stream with the grains inflated by one worker per CPU and written in order.
func (c *Converter) run(ctx context.Context, in io.Reader) (err error) {
	s, err := newStreamReader(in)
	if err != nil {
		return err
	}
	var img image
	if c.format == QCOW2 {
		img, err = newQcow2Writer(c.path, s.hdr.capacity)
	} else {
		img, err = newRawWriter(c.path, s.hdr.capacity)
	}
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			img.Abort()
		}
	}()

	type job struct {
		g    grain
		out  []byte
		done chan error
	}
	workers := max(runtime.GOMAXPROCS(0), 1)
	work, order := make(chan *job, 2*workers), make(chan *job, 2*workers)
	pool := sync.Pool{New: func() any { return make([]byte, s.hdr.grain) }}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var f inflater
			for j := range work {
				j.done <- f.inflate(j.g, j.out)
			}
		}()
	}
	readErr := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		defer close(order)
		defer close(work)
		for {
			g, err := s.next()
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				readErr <- err
				return
			}
			n := min(s.hdr.grain, s.hdr.capacity-g.offset)
			j := &job{g: g, out: pool.Get().([]byte)[:n], done: make(chan error, 1)}
			select {
			case order <- j:
			case <-stop:
				readErr <- nil
				return
			}
			work <- j
		}
	}()
	var werr error
	for j := range order {
		if werr == nil {
			if werr = <-j.done; werr == nil {
				werr = img.WriteAt(j.out, j.g.offset)
			}
			if werr != nil {
				close(stop)
			}
		} else {
			<-j.done
		}
		pool.Put(j.out[:cap(j.out)])
	}
	wg.Wait()
	if rerr := <-readErr; werr == nil {
		werr = rerr
	}
	if werr != nil {
		return werr
	}
	return img.Close()
}

// chanReader reads the chunks Write queued, in order.
type chanReader struct {
	ctx    context.Context
	chunks <-chan []byte
	cur    []byte
}

func (r *chanReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		select {
		case b, ok := <-r.chunks:
			if !ok {
				return 0, io.EOF
			}
			r.cur = b
		case <-r.ctx.Done():
			return 0, r.ctx.Err()
		}
	}
	n := copy(p, r.cur)
	r.cur = r.cur[n:]
	return n, nil
}

// IsNotStream reports whether err means the input was not a streamOptimized VMDK at all (as
// opposed to a broken or cut one).
func IsNotStream(err error) bool { return errors.Is(err, errNotStream) }
