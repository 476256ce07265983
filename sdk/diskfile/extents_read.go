package diskfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// zeros is compared against to find data where only zeros may be.
var zeros [readChunk]byte

// openRead opens path for reading, with O_DIRECT where the filesystem allows it (files this
// package wrote bypassed the page cache and are read the same way), and says which it got.
func openRead(path string) (*os.File, bool, error) {
	if openDirect != 0 {
		f, err := os.OpenFile(path, os.O_RDONLY|openDirect, 0)
		if err == nil {
			return f, true, nil
		}
		if !errors.Is(err, syscall.EINVAL) {
			return nil, false, err
		}
	}
	f, err := os.Open(path)
	return f, false, err
}

// readRange hands fn the n bytes of f at off, in pieces of at most readChunk bytes. With
// O_DIRECT every read starts on an Align boundary and asks for whole blocks; the bytes outside
// [off, off+n) are not passed on.
func readRange(f *os.File, direct bool, off, n int64, fn func([]byte) error) error {
	buf := Get(readChunk)
	defer Put(buf)
	end := off + n
	pos := off
	if direct {
		pos = off &^ (Align - 1)
	}
	for pos < end {
		want := min(int64(len(buf)), end-pos)
		if direct {
			want = (want + Align - 1) &^ (Align - 1)
		}
		got, err := f.ReadAt(buf[:want], pos)
		lo, hi := max(off-pos, 0), min(int64(got), end-pos)
		if lo < hi {
			if ferr := fn(buf[lo:hi]); ferr != nil {
				return ferr
			}
		}
		pos += int64(got)
		switch {
		case pos >= end:
			return nil
		case err == io.EOF || (err == nil && got == 0):
			return fmt.Errorf("file ended at byte %d, before byte %d", pos, end)
		case err != nil:
			return fmt.Errorf("read at byte %d: %w", pos, err)
		}
	}
	return nil
}

// firstNonZero is the offset of the first byte that is not zero in n bytes of f at off, or -1.
func firstNonZero(f *os.File, direct bool, off, n int64) (int64, error) {
	found, pos := int64(-1), off
	errFound := errors.New("found")
	err := readRange(f, direct, off, n, func(b []byte) error {
		if !bytes.Equal(b, zeros[:len(b)]) {
			i := 0
			for b[i] == 0 {
				i++
			}
			found = pos + int64(i)
			return errFound
		}
		pos += int64(len(b))
		return nil
	})
	if err != nil && err != errFound {
		return -1, err
	}
	return found, nil
}
