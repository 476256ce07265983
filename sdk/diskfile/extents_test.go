package diskfile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// write is data written at an offset of a file that is otherwise a hole.
type write struct {
	off  int64
	data []byte
}

// sparseFile makes a file of size bytes holding only writes: the rest is never written, so the
// filesystem keeps it as holes (the size is set with Truncate).
func sparseFile(t *testing.T, size int64, writes ...write) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "disk.raw")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	for _, w := range writes {
		if _, err := f.WriteAt(w.data, w.off); err != nil {
			t.Fatal(err)
		}
	}
	// One flush now, not one per O_DIRECT read of a dirty range later.
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	return path
}

func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed | 1 // never zero
	}
	return b
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestDataExtentsCoverTheDataOnly(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	cases := []struct {
		name      string
		size      int64
		writes    []write
		extents   int   // how many extents
		maxLength int64 // the sum of their lengths is at most this: the data, rounded to blocks
	}{
		{"empty file", 0, nil, 0, 0},
		{"all hole", 64 * mib, nil, 0, 0},
		{"two runs far apart", 64 * mib, []write{{0, pattern(4096, 1)}, {40 * mib, pattern(8192, 2)}}, 2, 12288},
		{"runs across a small hole merge", 16 * mib, []write{{mib, pattern(4096, 3)}, {mib + 64<<10, pattern(4096, 4)}}, 1, 64<<10 + 4096},
		{"a 1 TiB disk holding 8 KiB", 1 << 40, []write{{1<<40 - 8192, pattern(8192, 6)}}, 1, 8192},
		{"unaligned data at the end", 8*mib + 100, []write{{8 * mib, pattern(100, 5)}}, 1, 4096},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := sparseFile(t, c.size, c.writes...)
			got, err := DataExtents(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != c.extents {
				t.Fatalf("extents = %+v, want %d of them", got, c.extents)
			}
			var total int64
			for _, e := range got {
				total += e.Length
			}
			if total > c.maxLength {
				t.Errorf("extents cover %d bytes, want at most %d (the data, not the %d-byte file)", total, c.maxLength, c.size)
			}
			for _, w := range c.writes { // every written byte lies in an extent
				covered := false
				for _, e := range got {
					covered = covered || (w.off >= e.Offset && w.off+int64(len(w.data)) <= e.Offset+e.Length)
				}
				if !covered {
					t.Errorf("write at %d (%d bytes) is in no extent of %+v", w.off, len(w.data), got)
				}
			}
			if err := VerifyExtents(path, c.size, got); err != nil {
				t.Errorf("a file does not verify against its own extents: %v", err)
			}
		})
	}
}

func TestDataExtentsHashWhatTheyCover(t *testing.T) {
	t.Parallel()
	data := pattern(3*4096, 9)
	path := sparseFile(t, 32<<20, write{8 << 20, data})
	got, err := DataExtents(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []Extent{{Offset: 8 << 20, Length: int64(len(data)), SHA256: sum(data)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("extents = %+v, want %+v", got, want)
	}
}

func TestPlanExtents(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	many := make([]span, 0, MaxExtents+10) // 4 KiB of data every 2 MiB: too many extents at first
	for i := range int64(MaxExtents + 10) {
		many = append(many, span{i * 2 * mib, i*2*mib + 4096})
	}
	cases := []struct {
		name    string
		regions []span
		want    []span
	}{
		{"nothing", nil, nil},
		{"a long run is split at MaxExtent", []span{{0, 150 * mib}}, []span{{0, 64 * mib}, {64 * mib, 128 * mib}, {128 * mib, 150 * mib}}},
		{"a small hole is merged", []span{{0, 4096}, {8192, 12288}}, []span{{0, 12288}}},
		{"a large hole is kept", []span{{0, 4096}, {2 * mib, 2*mib + 4096}}, []span{{0, 4096}, {2 * mib, 2*mib + 4096}}},
		{"merging stops at MaxExtent", []span{{0, 63 * mib}, {63*mib + 4096, 65 * mib}}, []span{{0, 63 * mib}, {63*mib + 4096, 65 * mib}}},
	}
	for _, c := range cases {
		if got := planExtents(c.regions); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: planExtents = %v, want %v", c.name, got, c.want)
		}
	}
	if got := planExtents(many); len(got) > MaxExtents {
		t.Errorf("finely scattered data gives %d extents, want at most %d", len(got), MaxExtents)
	}
}

// TestPlanExtentsBound checks the bound that keeps an export result inside one plugin message:
// however a file's data lies, it gets at most MaxExtents extents, which still cover every byte
// of data, in order and without overlap.
func TestPlanExtentsBound(t *testing.T) {
	t.Parallel()
	const mib, tib = int64(1 << 20), int64(1 << 40)
	scattered := func(n int, every int64) []span { // 4 KiB of data every `every` bytes
		out := make([]span, n)
		for i := range out {
			out[i] = span{int64(i) * every, int64(i)*every + 4096}
		}
		return out
	}
	cases := []struct {
		name    string
		regions []span
	}{
		{"a dense 16 TiB disk", []span{{0, 16 * tib}}},
		{"a dense 200 GiB disk", []span{{0, 200 << 30}}},
		{"data every 2 MiB of 64 GiB", scattered(32768, 2*mib)},
		{"data every 256 MiB of 16 TiB", scattered(65536, 256*mib)},
		{"200,000 small runs", scattered(200_000, 64<<10)},
	}
	for _, c := range cases {
		got := planExtents(c.regions)
		if len(got) > MaxExtents {
			t.Errorf("%s: %d extents, want at most %d", c.name, len(got), MaxExtents)
		}
		var prevEnd int64
		for i, s := range got {
			if s.start < prevEnd || s.end <= s.start {
				t.Fatalf("%s: extent %d %v overlaps or is empty", c.name, i, s)
			}
			prevEnd = s.end
		}
		k := 0
		for _, r := range c.regions { // every byte of data lies in an extent
			for pos := r.start; pos < r.end; pos = got[k].end {
				for k < len(got) && got[k].end <= pos {
					k++
				}
				if k == len(got) || got[k].start > pos {
					t.Fatalf("%s: byte %d of data %v lies in no extent", c.name, pos, r)
				}
			}
		}
	}
}

// TestDataExtentsOfAFinelyScatteredFile writes more runs of data, each apart from the next by
// at least the merge gap, than a file may have extents: two hundred runs 1 MiB apart, then
// the rest 4 MiB apart. Its extents merge the close runs across their holes, stay within the
// bound and verify.
func TestDataExtentsOfAFinelyScatteredFile(t *testing.T) {
	t.Parallel()
	const near, far, run = 200, MaxExtents - 100, 4096
	writes := make([]write, 0, near+far)
	var off int64
	for i := range near + far {
		writes = append(writes, write{off, pattern(run, byte(i))})
		off += run + mergeGap
		if i >= near {
			off += 3 * mergeGap
		}
	}
	size := off
	path := sparseFile(t, size, writes...)
	got, err := DataExtents(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) > MaxExtents {
		t.Errorf("%d runs of data give %d extents, want at most %d", len(writes), len(got), MaxExtents)
	}
	if err := VerifyExtents(path, size, got); err != nil {
		t.Errorf("the file does not verify against its own extents: %v", err)
	}
	var covered int64
	for _, e := range got {
		covered += e.Length
	}
	if covered >= size {
		t.Errorf("extents cover %d bytes of a %d-byte sparse file: they should skip its larger holes", covered, size)
	}
}

func TestVerifyExtents(t *testing.T) {
	t.Parallel()
	const size = 16 << 20
	a, b := pattern(8192, 1), pattern(4096, 2)
	good := []Extent{{Offset: 4096, Length: 8192, SHA256: sum(a)}, {Offset: 9 << 20, Length: 4096, SHA256: sum(b)}}
	base := []write{{4096, a}, {9 << 20, b}}
	flipped := append([]byte(nil), a...)
	flipped[5000] ^= 0xff
	cases := []struct {
		name     string
		size     int64 // of the file; the declared size is always size
		writes   []write
		extents  []Extent
		mismatch string // "" when the file verifies; else a piece of the error
	}{
		{"as declared", size, base, good, ""},
		{"zeros written outside the extents", size, append(base, write{12 << 20, make([]byte, 65536)}), good, ""},
		{"an unaligned extent", size, []write{{100, a[:50]}}, []Extent{{Offset: 100, Length: 50, SHA256: sum(a[:50])}}, ""},
		{"all zeros with no extents", size, nil, nil, ""},
		{"a corrupted byte inside an extent", size, []write{{4096, flipped}, {9 << 20, b}}, good, "bytes 4096-12287 (extent 0) have sha256"},
		{"data outside the extents", size, append(base, write{3 << 20, []byte{0, 0, 7}}), good, "byte 3145730 "},
		{"data in a file said to be all zeros", size, []write{{size - 1, []byte{1}}}, nil, "byte 16777215 "},
		{"a larger file", size + 4096, base, good, "the file is 16781312 bytes, not 16777216"},
		{"a smaller file", size - 4096, base, good, "the file is 16773120 bytes, not 16777216"},
		{"an extent past the end", size, base, append(good, Extent{Offset: size - 10, Length: 20, SHA256: sum(b)}), "ends past the file"},
		{"overlapping extents", size, base, []Extent{good[0], {Offset: 8192, Length: 4096, SHA256: sum(b)}}, "overlaps"},
		{"an empty extent", size, base, []Extent{{Offset: 0, Length: 0, SHA256: sum(nil)}}, "has length 0"},
		{"an extent without a digest", size, base, []Extent{{Offset: 4096, Length: 8192}}, "has no SHA-256"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := sparseFile(t, c.size, c.writes...)
			err := VerifyExtents(path, size, c.extents)
			switch {
			case c.mismatch == "" && err != nil:
				t.Fatalf("VerifyExtents: %v", err)
			case c.mismatch != "" && !errors.Is(err, ErrMismatch):
				t.Fatalf("VerifyExtents = %v, want a mismatch", err)
			case c.mismatch != "" && !strings.Contains(err.Error(), c.mismatch):
				t.Fatalf("VerifyExtents = %v, want it to say %q", err, c.mismatch)
			}
		})
	}
}

func TestVerifyExtentsMissingFile(t *testing.T) {
	t.Parallel()
	err := VerifyExtents(filepath.Join(t.TempDir(), "absent"), 10, nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("VerifyExtents of a missing file = %v, want not-exist", err)
	}
}
