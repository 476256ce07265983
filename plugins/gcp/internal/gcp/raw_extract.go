package gcp

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// rawMember is the file the image-export builder's default output, a tar.gz, holds.
const rawMember = "disk.raw"

// extractRaw writes the disk.raw member of the tar.gz at archive to dst as a sparse file:
// runs of zeros are skipped, not written, so the artifact's extents name only the data.
// progress gets the bytes of disk.raw handled so far.
func extractRaw(ctx context.Context, archive, dst string, progress func(done, total int64)) (int64, error) {
	in, err := os.Open(archive)
	if err != nil {
		return 0, fmt.Errorf("open %s: %w", archive, err)
	}
	defer in.Close()
	gz, err := gzip.NewReader(in)
	if err != nil {
		return 0, fmt.Errorf("%s is not the builder's tar.gz: %w", archive, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("%s holds no %s", archive, rawMember)
		}
		if err != nil {
			return 0, fmt.Errorf("read %s: %w", archive, err)
		}
		if h.Name == rawMember || h.Name == "./"+rawMember {
			return writeSparse(ctx, tr, dst, h.Size, progress)
		}
	}
}

// writeSparse copies size bytes of r to a new file dst, seeking over all-zero blocks.
func writeSparse(ctx context.Context, r io.Reader, dst string, size int64, progress func(done, total int64)) (int64, error) {
	out, err := os.OpenFile(dst, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", dst, err)
	}
	defer out.Close()
	const block = 1 << 20
	buf := make([]byte, block)
	zero := make([]byte, block)
	var off int64
	for off < size {
		if err := ctx.Err(); err != nil {
			return off, err
		}
		n, err := io.ReadFull(r, buf[:min(block, size-off)])
		if err != nil {
			return off, fmt.Errorf("read %s at %d: %w", rawMember, off, err)
		}
		if !bytes.Equal(buf[:n], zero[:n]) {
			if _, err := out.WriteAt(buf[:n], off); err != nil {
				return off, fmt.Errorf("write %s at %d: %w", dst, off, err)
			}
		}
		off += int64(n)
		if progress != nil {
			progress(off, size)
		}
	}
	if err := out.Truncate(size); err != nil {
		return off, fmt.Errorf("size %s: %w", dst, err)
	}
	if err := out.Sync(); err != nil {
		return off, fmt.Errorf("sync %s: %w", dst, err)
	}
	return size, out.Close()
}
