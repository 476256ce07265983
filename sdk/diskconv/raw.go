package diskconv

import (
	"fmt"
	"os"
)

// rawWriter writes a sparse raw image: data where the stream has it, holes elsewhere.
type rawWriter struct {
	f    *os.File
	size int64
}

func newRawWriter(path string, size int64) (*rawWriter, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, err
	}
	return &rawWriter{f: f, size: size}, nil
}

func (w *rawWriter) WriteAt(p []byte, off int64) error {
	if off < 0 || off+int64(len(p)) > w.size {
		return fmt.Errorf("raw: write of %d bytes at %d is outside the %d-byte disk", len(p), off, w.size)
	}
	if allZero(p) {
		return nil
	}
	_, err := w.f.WriteAt(p, off)
	return err
}

func (w *rawWriter) Close() error {
	if err := w.f.Sync(); err != nil {
		w.f.Close()
		return err
	}
	return w.f.Close()
}

func (w *rawWriter) Abort() { w.f.Close() }
