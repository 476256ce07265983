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

	"github.com/hypersdk/hypersdk/sdk/diskfile"
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
	chunks chan []byte // written, waiting for the decoder
	free   chan []byte // decoded, ready for Write to fill again
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
	c := &Converter{path: path, format: format, chunks: make(chan []byte, queuedChunks), free: make(chan []byte, queuedChunks+1), done: make(chan struct{})}
	for range queuedChunks + 1 {
		c.free <- nil
	}
	go c.decode(ctx)
	return c, nil
}

// Written bytes wait for the decoder in up to queuedChunks pieces of pieceSize: a converter
// holds at most 17 MiB whatever the download's chunk size.
const (
	queuedChunks = 16
	pieceSize    = 1 << 20
)

// Write hands the next bytes of the VMDK to the decoder. p may be reused when Write returns.
// Bytes written after Close are dropped.
func (c *Converter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 && !c.closed && !c.failed.Load() {
		// Pieces are copied into buffers that go round between Write and the decoder:
		// touching fresh memory for every chunk costs more than the copy itself.
		buf := <-c.free
		if buf == nil {
			buf = diskfile.Get(pieceSize)
		}
		m := copy(buf[:cap(buf)], p)
		c.chunks <- buf[:m]
		p = p[m:]
	}
	return n, nil
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
	defer func() {
		for range queuedChunks + 1 { // every buffer is back once the input has ended
			if b := <-c.free; b != nil {
				diskfile.Put(b)
			}
		}
		close(c.done)
	}()
	defer func() {
		for b := range c.chunks { // keep Write from blocking after a failure
			c.free <- b
		}
	}()
	in := &chanReader{ctx: ctx, chunks: c.chunks, free: c.free}
	defer in.release()
	err := c.run(ctx, in)
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

	// A fixed set of jobs goes round reader -> inflaters -> writer -> reader, their buffers
	// reused for every grain.
	type job struct {
		g          grain
		compressed []byte
		out        []byte
		done       chan error
	}
	workers := max(runtime.GOMAXPROCS(0), 1)
	inflight := 2*workers + 2
	work, order, idle := make(chan *job, inflight), make(chan *job, inflight), make(chan *job, inflight)
	for range inflight {
		idle <- &job{compressed: diskfile.Get(int(s.hdr.grain + s.hdr.grain/8 + sector)), out: diskfile.Get(int(s.hdr.grain)), done: make(chan error, 1)}
	}
	defer func() {
		for range inflight {
			j := <-idle
			diskfile.Put(j.compressed)
			diskfile.Put(j.out)
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var f inflater
			for j := range work {
				n := min(s.hdr.grain, s.hdr.capacity-j.g.offset)
				j.done <- f.inflate(j.g, j.out[:n])
			}
		}()
	}
	readErr := make(chan error, 1)
	stop := make(chan struct{})
	go func() {
		defer close(order)
		defer close(work)
		for {
			var j *job
			select {
			case j = <-idle:
			case <-stop:
				readErr <- nil
				return
			}
			g, err := s.next(j.compressed)
			if err != nil {
				idle <- j
				if err == io.EOF {
					err = nil
				}
				readErr <- err
				return
			}
			if cap(g.compressed) > cap(j.compressed) {
				j.compressed = g.compressed // a grain that compressed badly: keep the larger buffer
			}
			j.g = g
			order <- j
			work <- j
		}
	}()
	var werr error
	for j := range order {
		if werr == nil {
			if werr = <-j.done; werr == nil {
				werr = img.WriteAt(j.out[:min(s.hdr.grain, s.hdr.capacity-j.g.offset)], j.g.offset)
			}
			if werr != nil {
				close(stop)
			}
		} else {
			<-j.done
		}
		idle <- j
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

// chanReader reads the chunks Write queued, in order, and hands each buffer back once read.
type chanReader struct {
	ctx    context.Context
	chunks <-chan []byte
	free   chan<- []byte
	buf    []byte // the chunk being read
	cur    []byte // its unread part
}

// release hands back the chunk being read.
func (r *chanReader) release() {
	if r.buf != nil {
		r.free <- r.buf
		r.buf, r.cur = nil, nil
	}
}

func (r *chanReader) Read(p []byte) (int, error) {
	for len(r.cur) == 0 {
		if r.buf != nil {
			r.free <- r.buf
			r.buf = nil
		}
		select {
		case b, ok := <-r.chunks:
			if !ok {
				return 0, io.EOF
			}
			r.buf, r.cur = b, b
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
