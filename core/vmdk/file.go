package vmdk

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// maxChain bounds how many parents ParseFile follows.
const maxChain = 16

// ParseFile reads the VMDK at p — a descriptor file, or a sparse/streamOptimized disk with an
// embedded descriptor — and follows parentFileNameHint through the files beside it.
func ParseFile(p string) (Descriptor, error) {
	d, err := parseOne(p)
	if err != nil {
		return d, err
	}
	dir := filepath.Dir(p)
	seen := map[string]bool{filepath.Base(p): true}
	for cur := d; cur.ParentFileNameHint != "" && len(d.Parents) < maxChain; {
		name := cur.ParentFileNameHint
		if seen[name] {
			return d, fmt.Errorf("%w: parent chain loops at %s", ErrInvalid, name)
		}
		seen[name] = true
		d.Parents = append(d.Parents, name)
		parent, err := parseOne(filepath.Join(dir, name))
		if err != nil {
			return d, fmt.Errorf("parent %s: %w", name, err)
		}
		cur = parent
	}
	return d, nil
}

func parseOne(p string) (Descriptor, error) {
	// O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, so a parent
	// hint or a path swapped for one would hang the caller; it changes nothing for a regular
	// file, and anything else is refused below.
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return Descriptor{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Descriptor{}, err
	}
	if !st.Mode().IsRegular() {
		return Descriptor{}, fmt.Errorf("%w: %s is not a regular file", ErrInvalid, p)
	}
	sector := make([]byte, sectorSize)
	n, _ := io.ReadFull(f, sector)
	if h, ok := ParseHeader(sector[:n]); ok {
		size := h.DescriptorSectors * sectorSize
		if h.DescriptorOffset == 0 || size == 0 {
			return Descriptor{}, fmt.Errorf("%w: sparse header of %s has no embedded descriptor", ErrInvalid, p)
		}
		if size > MaxDescriptorBytes || h.DescriptorOffset > uint64(st.Size())/sectorSize {
			return Descriptor{}, fmt.Errorf("%w: embedded descriptor of %s is out of bounds", ErrInvalid, p)
		}
		buf := make([]byte, size)
		if _, err := f.ReadAt(buf, int64(h.DescriptorOffset)*sectorSize); err != nil && err != io.EOF {
			return Descriptor{}, fmt.Errorf("read embedded descriptor of %s: %w", p, err)
		}
		d, err := Parse(buf)
		if err != nil {
			return d, err
		}
		d.Embedded, d.Header = true, h
		if d.CapacityBytes == 0 {
			d.CapacityBytes = int64(h.CapacitySectors) * sectorSize
		}
		return d, nil
	}
	if st.Size() > MaxDescriptorBytes {
		return Descriptor{}, fmt.Errorf("%w: %s has no sparse header and is too large to be a descriptor", ErrInvalid, p)
	}
	text, err := io.ReadAll(io.MultiReader(bytesReader(sector[:n]), f))
	if err != nil {
		return Descriptor{}, err
	}
	return Parse(text)
}
