package diskfile

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"unsafe"
)

// Align is the block size direct writes are aligned to: buffer address, length and file offset.
const Align = 4096

// staging is the size of each of the Writer's aligned buffers for writes that cannot go
// straight out; one fills while up to writeDepth others are being written, which keeps more
// than one request in the device's queue.
const (
	staging    = 4 << 20
	writeDepth = 2
)

// Writer writes one file sequentially from offset 0. It is not safe for concurrent use.
type Writer struct {
	f       *os.File
	path    string
	direct  bool
	off     int64       // bytes handed to the file: written, or being written in the background
	pending []byte      // staged bytes not yet handed over; len < staging
	stage   []byte      // aligned staging buffer being filled, from the pool on first need
	slots   chan []byte // staging buffers free to fill (nil: not allocated yet)

	inflight sync.WaitGroup // background writes of full staging buffers
	mu       sync.Mutex
	err      error // the first background write error
}

// Create creates or truncates path for writing with O_DIRECT when the filesystem allows it:
// some refuse the flag at open, others only at the first write, so one block is written and
// cut off again to find out.
func Create(path string) (*Writer, error) {
	if openDirect != 0 {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|openDirect, 0o644)
		if err == nil {
			probe := Get(Align)
			_, err = f.WriteAt(probe, 0)
			Put(probe)
			if err == nil {
				if err := f.Truncate(0); err != nil {
					f.Close()
					return nil, err
				}
				return &Writer{f: f, path: path, direct: true}, nil
			}
			f.Close()
		}
		if !errors.Is(err, syscall.EINVAL) {
			return nil, err
		}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	return &Writer{f: f, path: path}, nil
}

// Direct reports whether the file is written around the page cache.
func (w *Writer) Direct() bool { return w.direct }

// Size is the number of bytes written so far, including those still staged.
func (w *Writer) Size() int64 { return w.off + int64(len(w.pending)) }

// Write appends p. Aligned buffers (see Get) go to the kernel as they are; anything else is
// staged and written in the background while the next staging buffer fills.
func (w *Writer) Write(p []byte) (int, error) {
	if !w.direct {
		n, err := w.f.Write(p)
		w.off += int64(n)
		return n, err
	}
	written := 0
	if len(w.pending) == 0 && aligned(p) {
		if whole := len(p) &^ (Align - 1); whole > 0 {
			if err := w.wait(); err != nil {
				return 0, err
			}
			if err := w.writeAt(p[:whole], w.off); err != nil {
				return 0, err
			}
			w.off += int64(whole)
			written, p = whole, p[whole:]
		}
	}
	for len(p) > 0 {
		if w.stage == nil {
			w.stage = Get(staging)
			w.pending = w.stage[:0]
		}
		n := copy(w.stage[len(w.pending):staging], p)
		w.pending = w.stage[:len(w.pending)+n]
		written, p = written+n, p[n:]
		if len(w.pending) == staging {
			if err := w.handOver(); err != nil {
				return written - n, err
			}
		}
	}
	return written, nil
}

// handOver starts writing the full staging buffer in the background and takes a free one to
// fill next, waiting while writeDepth writes are in flight.
func (w *Writer) handOver() error {
	w.mu.Lock()
	err := w.err
	w.mu.Unlock()
	if err != nil {
		return err
	}
	if w.slots == nil {
		w.slots = make(chan []byte, writeDepth)
		for range writeDepth {
			w.slots <- nil
		}
	}
	full, off := w.stage, w.off
	w.off += int64(len(full))
	w.inflight.Add(1)
	go func() {
		defer w.inflight.Done()
		if err := w.writeAt(full, off); err != nil {
			w.mu.Lock()
			w.err = cmp.Or(w.err, err)
			w.mu.Unlock()
		}
		w.slots <- full
	}()
	if w.stage = <-w.slots; w.stage == nil {
		w.stage = Get(staging)
	}
	w.pending = w.stage[:0]
	return nil
}

// wait lets the background write finish and returns its error, if any.
func (w *Writer) wait() error {
	w.inflight.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// writeAt writes b (aligned, an Align multiple) at off.
func (w *Writer) writeAt(b []byte, off int64) error {
	if _, err := w.f.WriteAt(b, off); err != nil {
		return fmt.Errorf("write %s at %d: %w", w.path, off, err)
	}
	return nil
}

// Reset empties the file so the writer starts again from offset 0.
func (w *Writer) Reset() error {
	w.wait()
	w.mu.Lock()
	w.err = nil
	w.mu.Unlock()
	w.pending = w.pending[:0]
	w.off = 0
	return w.f.Truncate(0)
}

// Close writes what is staged (the last block padded with zeros, then the file trimmed to its
// real length), fsyncs and closes. The file is complete and durable when Close returns nil.
func (w *Writer) Close() error {
	err := w.flush()
	if serr := w.f.Sync(); err == nil {
		err = serr
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.release()
	return err
}

// Abort closes the file without caring for its content; the caller removes it.
func (w *Writer) Abort() {
	w.wait()
	w.f.Close()
	w.release()
}

// release gives the staging buffers back to the pool; no write may be in flight.
func (w *Writer) release() {
	if w.stage != nil {
		Put(w.stage)
		w.stage = nil
	}
	for w.slots != nil && len(w.slots) > 0 {
		if b := <-w.slots; b != nil {
			Put(b)
		}
	}
	w.pending = nil
}

func (w *Writer) flush() error {
	if err := w.wait(); err != nil {
		return err
	}
	if len(w.pending) == 0 {
		return nil
	}
	size := w.off + int64(len(w.pending))
	if !w.direct {
		_, err := w.f.WriteAt(w.pending, w.off)
		w.off, w.pending = size, w.pending[:0]
		return err
	}
	padded := (len(w.pending) + Align - 1) &^ (Align - 1)
	clear(w.stage[len(w.pending):padded])
	if err := w.writeAt(w.stage[:padded], w.off); err != nil {
		return err
	}
	w.pending = w.stage[:0]
	w.off = size
	return w.f.Truncate(size)
}

func aligned(p []byte) bool {
	return len(p) > 0 && uintptr(unsafe.Pointer(&p[0]))&(Align-1) == 0
}
