package diskfile

import (
	"errors"
	"fmt"
	"strings"
)

// ErrMismatch is wrapped by every VerifyExtents error that says the file is not what its
// extents describe (as opposed to a file that could not be read).
var ErrMismatch = errors.New("content does not match the extents")

// maxReported bounds how many regions a failed verification names.
const maxReported = 8

// VerifyExtents checks the file at path against extents that say where its data lies: the file
// is size bytes, each extent's bytes have its SHA-256, and every byte outside the extents reads
// as zero. It reads the extents and whatever the filesystem reports as data outside them
// (SEEK_DATA), so its time is proportional to the data, not to the size; regions are read in
// parallel. Extents must be in order, without overlap, non-empty and inside the file. An error
// names the regions that differ.
func VerifyExtents(path string, size int64, extents []Extent) error {
	if err := checkExtentList(size, extents); err != nil {
		return err
	}
	f, direct, err := openRead(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() != size {
		return fmt.Errorf("%w: the file is %d bytes, not %d", ErrMismatch, st.Size(), size)
	}
	regions, err := dataRegions(f, size)
	if err != nil {
		return fmt.Errorf("data regions: %w", err)
	}
	gaps := splitSpans(outside(regions, extents), MaxExtent)
	errs := parallel(len(extents)+len(gaps), func(i int) error {
		if i < len(extents) {
			e := extents[i]
			sum, err := hashRange(f, direct, e.Offset, e.Length)
			if err != nil {
				return fmt.Errorf("bytes %d-%d: %w", e.Offset, e.Offset+e.Length-1, err)
			}
			if !strings.EqualFold(sum, e.SHA256) {
				return fmt.Errorf("%w: bytes %d-%d (extent %d) have sha256 %s, the extent says %s",
					ErrMismatch, e.Offset, e.Offset+e.Length-1, i, sum, e.SHA256)
			}
			return nil
		}
		g := gaps[i-len(extents)]
		at, err := firstNonZero(f, direct, g.start, g.end-g.start)
		if err != nil {
			return fmt.Errorf("bytes %d-%d: %w", g.start, g.end-1, err)
		}
		if at >= 0 {
			return fmt.Errorf("%w: byte %d (in data the filesystem reports at %d-%d) is not zero and lies outside every extent",
				ErrMismatch, at, g.start, g.end-1)
		}
		return nil
	})
	return joinFirst(errs, maxReported)
}

// checkExtentList refuses extents that cannot describe a file of size bytes.
func checkExtentList(size int64, extents []Extent) error {
	var prevEnd int64
	for i, e := range extents {
		switch {
		case e.Offset < prevEnd || e.Offset < 0:
			return fmt.Errorf("%w: extent %d at %d overlaps or precedes the one before it (ending at %d)", ErrMismatch, i, e.Offset, prevEnd)
		case e.Length <= 0:
			return fmt.Errorf("%w: extent %d at %d has length %d", ErrMismatch, i, e.Offset, e.Length)
		case e.Length > size-e.Offset:
			return fmt.Errorf("%w: extent %d (bytes %d-%d) ends past the file's %d bytes", ErrMismatch, i, e.Offset, e.Offset+e.Length-1, size)
		case len(e.SHA256) != 64:
			return fmt.Errorf("%w: extent %d at %d has no SHA-256 (%q)", ErrMismatch, i, e.Offset, e.SHA256)
		}
		prevEnd = e.Offset + e.Length
	}
	return nil
}

// outside is the parts of regions that no extent covers; both are in order, without overlap.
func outside(regions []span, extents []Extent) []span {
	var out []span
	j := 0
	for _, r := range regions {
		pos := r.start
		for j < len(extents) && extents[j].Offset+extents[j].Length <= pos {
			j++
		}
		for k := j; k < len(extents) && extents[k].Offset < r.end; k++ {
			if extents[k].Offset > pos {
				out = append(out, span{pos, extents[k].Offset})
			}
			pos = max(pos, extents[k].Offset+extents[k].Length)
		}
		if pos < r.end {
			out = append(out, span{pos, r.end})
		}
	}
	return out
}

// joinFirst joins the first limit errors and says how many more there were.
func joinFirst(errs []error, limit int) error {
	var kept []error
	more := 0
	for _, err := range errs {
		switch {
		case err == nil:
		case len(kept) < limit:
			kept = append(kept, err)
		default:
			more++
		}
	}
	if more > 0 {
		kept = append(kept, fmt.Errorf("and %d more regions", more))
	}
	return errors.Join(kept...)
}
