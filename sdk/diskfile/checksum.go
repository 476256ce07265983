package diskfile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
)

// readChunk is the size of each read of SHA256: large, so a cold file streams off the device.
// A file of less than four of them is read in quarters (at least minChunk), so hashing one part
// overlaps reading the next even for a small disk.
const (
	readChunk = 4 << 20
	minChunk  = 256 << 10
)

// chunkFor is the read size for a file of size bytes: a multiple of Align, as O_DIRECT needs.
func chunkFor(size int64) int {
	if size >= 4*readChunk {
		return readChunk
	}
	quarter := (size/4 + Align - 1) / Align * Align
	return int(max(quarter, minChunk))
}

// SHA256 hashes a file with the read of the next chunk overlapping the hash of the last. Files
// this package wrote bypassed the page cache, so they are read the same way where possible.
func SHA256(path string) (sum string, size int64, err error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openDirect, 0)
	if err != nil && openDirect != 0 && errors.Is(err, syscall.EINVAL) {
		f, err = os.Open(path)
	}
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	// Read exactly the file's size: with O_DIRECT a read past a short one would be unaligned.
	st, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	type chunk struct {
		buf []byte
		n   int
	}
	n := chunkFor(st.Size())
	bufs := [2][]byte{Get(n), Get(n)}
	defer Put(bufs[0])
	defer Put(bufs[1])
	h := sha256.New()
	hashed := make(chan chunk)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for c := range hashed {
			h.Write(c.buf[:c.n])
		}
	}()
	var readErr error
	for i := 0; size < st.Size(); i++ {
		buf := bufs[i%2] // the hasher took the other one last; it is done with this one
		n, err := f.Read(buf)
		if n > 0 {
			hashed <- chunk{buf, n}
			size += int64(n)
		}
		if err == io.EOF || (err == nil && n == 0) {
			readErr = fmt.Errorf("file ended at byte %d of %d", size, st.Size())
		} else {
			readErr = err
		}
		if readErr != nil {
			break
		}
	}
	close(hashed)
	<-done
	if readErr != nil {
		return "", 0, fmt.Errorf("read %s: %w", path, readErr)
	}
	return hex.EncodeToString(h.Sum(nil)), size, nil
}
