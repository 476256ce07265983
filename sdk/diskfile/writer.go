package diskfile

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// Align is the block size direct writes are aligned to: buffer address, length and file offset.
const Align = 4096

// staging is the size of the Writer's own aligned buffer for writes that cannot go straight out.
const staging = 4 << 20

// Writer writes one file sequentially from offset 0. It is not safe for concurrent use.
type Writer struct {
	f       *os.File
	path    string
	direct  bool
	off     int64  // bytes written to the file (a multiple of Align while direct)
	pending []byte // bytes accepted but not yet written; len < staging
	stage   []byte // aligned staging buffer, allocated on first need
}

// Create creates or truncates path for writing with O_DIRECT when the filesystem allows it.
func Create(path string) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC|openDirect, 0o644)
	if err == nil {
		return &Writer{f: f, path: path, direct: openDirect != 0}, nil
	}
	if openDirect == 0 || !errors.Is(err, syscall.EINVAL) {
		return nil, err
	}
	f, err = os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	return &Writer{f: f, path: path}, nil
}

// Direct reports whether the file is written around the page cache.
func (w *Writer) Direct() bool { return w.direct }

// Size is the number of bytes written so far, including those still staged.
func (w *Writer) Size() int64 { return w.off + int64(len(w.pending)) }

// Write appends p. Aligned buffers (see Buffer) go to the kernel as they are; anything else is
// staged and written in Align-multiples.
func (w *Writer) Write(p []byte) (int, error) {
	if !w.direct {
		n, err := w.f.Write(p)
		w.off += int64(n)
		return n, err
	}
	written := 0
	if len(w.pending) == 0 && aligned(p) {
		whole := len(p) &^ (Align - 1)
		if whole > 0 {
			if err := w.writeOut(p[:whole]); err != nil {
				return 0, err
			}
			written, p = whole, p[whole:]
		}
	}
	for len(p) > 0 {
		if w.stage == nil {
			w.stage = Get(staging)
			w.pending = w.stage[:len(w.pending)]
		}
		n := copy(w.stage[len(w.pending):staging], p)
		w.pending = w.stage[:len(w.pending)+n]
		written, p = written+n, p[n:]
		if len(w.pending) == staging {
			if err := w.writeOut(w.pending); err != nil {
				return written - n, err
			}
			w.pending = w.stage[:0]
		}
	}
	return written, nil
}

// writeOut writes b (aligned, an Align multiple) at the current offset. A filesystem that
// accepted O_DIRECT at open but refuses the write gets the rest of the file buffered.
func (w *Writer) writeOut(b []byte) error {
	n, err := w.f.WriteAt(b, w.off)
	w.off += int64(n)
	if errors.Is(err, syscall.EINVAL) && n == 0 && w.direct {
		if err := w.reopenBuffered(); err != nil {
			return err
		}
		n, err = w.f.WriteAt(b, w.off)
		w.off += int64(n)
	}
	if err != nil {
		return fmt.Errorf("write %s at %d: %w", w.path, w.off, err)
	}
	return nil
}

func (w *Writer) reopenBuffered() error {
	f, err := os.OpenFile(w.path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	w.f.Close()
	w.f, w.direct = f, false
	return nil
}

// Reset empties the file so the writer starts again from offset 0.
func (w *Writer) Reset() error {
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
	w.f.Close()
	w.release()
}

func (w *Writer) release() {
	if w.stage != nil {
		Put(w.stage)
		w.stage, w.pending = nil, nil
	}
}

func (w *Writer) flush() error {
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
	if err := w.writeOut(w.stage[:padded]); err != nil {
		return err
	}
	w.pending = w.stage[:0]
	w.off = size
	return w.f.Truncate(size)
}

func aligned(p []byte) bool {
	return len(p) > 0 && uintptr(unsafe.Pointer(&p[0]))&(Align-1) == 0
}
