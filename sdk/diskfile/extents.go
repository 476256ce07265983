package diskfile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
)

// Extent is one run of data in a sparse file: Length bytes at Offset, and the SHA-256 (hex) of
// those bytes. Everything outside a file's extents reads as zeros. It has provider.Extent's
// fields, so provider.Extent(e) converts one.
type Extent struct {
	Offset int64
	Length int64
	SHA256 string
}

// Bounds of the extents DataExtents reports.
//
// A file gets at most MaxExtents extents, whatever its size or layout: a provider sends every
// disk's extents in one plugin message (at most 16 MiB), and an extent costs at most 82 bytes
// there (offset, length, hex SHA-256), so a disk's list stays under 170 KiB and a VM of 60
// disks under 10 MiB.
//
// Within that bound an extent is at most MaxExtent bytes, so a disk's extents hash in parallel
// and a mismatch names a region, not a disk; holes shorter than mergeGap between two runs of
// data are taken into one extent, as reading a small hole costs less than describing it. A file
// whose data is scattered finely gets a wider gap, and one too large for MaxExtents extents of
// MaxExtent bytes (a dense disk over 128 GiB) gets longer extents: a hole merged into an extent
// is hashed as the zeros it reads as, which is still exact, only slower to verify.
const (
	MaxExtent  = 64 << 20
	MaxExtents = 2048
	mergeGap   = 1 << 20
)

// span is [start, end) of a file.
type span struct{ start, end int64 }

// DataExtents lists where the file at path holds data, as the filesystem reports it
// (SEEK_DATA/SEEK_HOLE), with the SHA-256 of each extent; the extents are hashed in parallel.
// A provider calls it on a disk it wrote sparsely (seeking over zeros instead of writing them)
// and reports the result as its artifact's extents, so the host verifies it by reading its data
// only. On a filesystem that does not report holes the whole file is data: still correct.
// There are at most MaxExtents of them (see MaxExtents for why and how).
func DataExtents(path string) ([]Extent, error) {
	f, direct, err := openRead(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	regions, err := dataRegions(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("data regions of %s: %w", path, err)
	}
	spans := planExtents(regions)
	out := make([]Extent, len(spans))
	errs := parallel(len(spans), func(i int) error {
		sum, err := hashRange(f, direct, spans[i].start, spans[i].end-spans[i].start)
		out[i] = Extent{Offset: spans[i].start, Length: spans[i].end - spans[i].start, SHA256: sum}
		return err
	})
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("hash extents of %s: %w", path, err)
	}
	return out, nil
}

// planExtents merges data regions across small holes and splits them into pieces of at most
// MaxExtent bytes, widening the merge gap, then the extent length, until there are at most
// MaxExtents pieces. It ends: once an extent may be as long as the file, the regions merge
// into one span cut into a few pieces.
func planExtents(regions []span) []span {
	gap, limit := int64(mergeGap), int64(MaxExtent)
	for {
		merged := mergeSpans(regions, gap, limit)
		if pieces(merged, limit) <= MaxExtents {
			return splitSpans(merged, limit)
		}
		if gap < limit {
			gap *= 2
		} else {
			limit *= 2
			gap = limit
		}
	}
}

// mergeSpans joins neighbours less than gap apart while the result stays within limit bytes.
func mergeSpans(regions []span, gap, limit int64) []span {
	var out []span
	for _, r := range regions {
		if n := len(out); n > 0 && r.start-out[n-1].end < gap && r.end-out[n-1].start <= limit {
			out[n-1].end = r.end
			continue
		}
		out = append(out, r)
	}
	return out
}

// pieces is how many spans splitSpans(spans, limit) returns.
func pieces(spans []span, limit int64) int64 {
	var n int64
	for _, s := range spans {
		n += (s.end - s.start + limit - 1) / limit
	}
	return n
}

// splitSpans cuts every span into pieces of at most limit bytes.
func splitSpans(spans []span, limit int64) []span {
	var out []span
	for _, s := range spans {
		for start := s.start; start < s.end; start += limit {
			out = append(out, span{start, min(start+limit, s.end)})
		}
	}
	return out
}

// parallel runs fn(0..n-1) on one goroutine per CPU and returns each call's error.
func parallel(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(max(runtime.NumCPU(), 1), n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = fn(i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	return errs
}

// hashRange is the SHA-256 (hex) of n bytes of f at off.
func hashRange(f *os.File, direct bool, off, n int64) (string, error) {
	h := sha256.New()
	if err := readRange(f, direct, off, n, func(b []byte) error {
		h.Write(b)
		return nil
	}); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
