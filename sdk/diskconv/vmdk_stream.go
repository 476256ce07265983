package diskconv

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

const (
	sector          = 512
	vmdkMagic       = 0x564d444b // "KDMV"
	flagCompressed  = 1 << 16
	flagMarkers     = 1 << 17
	compressDeflate = 1
	maxGrainSectors = 1 << 15  // 16 MiB grains; the VMDK spec's default is 128 (64 KiB)
	maxCapacity     = 64 << 40 // bytes: the VMDK format ends at 62 TiB
	maxOverhead     = 1 << 19  // sectors (256 MiB) of descriptor and tables before the first grain
	gdAtEnd         = 1<<64 - 1
)

// Metadata marker types of a streamOptimized VMDK (VMware's "Virtual Disk Format 5.0", §
// "Stream-Optimized Compressed Sparse Extents").
const (
	markerEOS    = 0
	markerGT     = 1
	markerGD     = 2
	markerFooter = 3
)

// errNotStream means the bytes are not a streamOptimized VMDK at all.
var errNotStream = errors.New("not a streamOptimized VMDK")

// streamHeader is what the decoder needs from the sparse extent header.
type streamHeader struct {
	capacity int64 // bytes
	grain    int64 // bytes
	overhead int64 // bytes before the first marker
	gtes     int64 // grain table entries per grain table
	gd       int64 // byte offset of the grain directory, or -1 when it comes at the end
}

func parseStreamHeader(b []byte) (streamHeader, error) {
	le := binary.LittleEndian
	if le.Uint32(b[0:]) != vmdkMagic {
		return streamHeader{}, errNotStream
	}
	flags := le.Uint32(b[8:])
	if flags&flagCompressed == 0 || flags&flagMarkers == 0 || le.Uint16(b[77:]) != compressDeflate {
		return streamHeader{}, fmt.Errorf("%w: sparse VMDK without compressed grains and markers", errNotStream)
	}
	capSectors, grainSectors, overhead := le.Uint64(b[12:]), le.Uint64(b[20:]), le.Uint64(b[64:])
	gtes, gd := le.Uint32(b[44:]), le.Uint64(b[56:])
	switch {
	case grainSectors < 1 || grainSectors > maxGrainSectors || grainSectors&(grainSectors-1) != 0:
		return streamHeader{}, fmt.Errorf("VMDK grain of %d sectors is not a power of two up to %d", grainSectors, maxGrainSectors)
	case capSectors == 0 || capSectors > maxCapacity/sector:
		return streamHeader{}, fmt.Errorf("VMDK capacity of %d sectors is out of range", capSectors)
	case overhead < 1 || overhead > maxOverhead:
		return streamHeader{}, fmt.Errorf("VMDK overhead of %d sectors is out of range", overhead)
	case gtes == 0 || gtes > 1<<16:
		return streamHeader{}, fmt.Errorf("VMDK grain tables of %d entries are out of range", gtes)
	case gd != gdAtEnd && (gd == 0 || gd >= overhead):
		return streamHeader{}, fmt.Errorf("VMDK grain directory at sector %d is not within the %d-sector header area", gd, overhead)
	}
	h := streamHeader{capacity: int64(capSectors) * sector, grain: int64(grainSectors) * sector,
		overhead: int64(overhead) * sector, gtes: int64(gtes), gd: -1}
	if gd != gdAtEnd {
		h.gd = int64(gd) * sector
	}
	return h, nil
}

// grain is one compressed grain of the stream: where it goes and its deflated bytes.
type grain struct {
	offset     int64 // bytes into the virtual disk
	compressed []byte
}

// streamReader walks the markers of a streamOptimized VMDK. Two layouts exist: VMware's true
// stream (grain directory "at end": grains, then grain table, directory and footer markers, then
// an end-of-stream marker) and the one qemu-img writes (directory and tables in the header area,
// then the grains, then nothing). For the first the end-of-stream marker proves the stream
// whole; for the second the tables up front say how many grains are to come.
type streamReader struct {
	r        *bufio.Reader
	hdr      streamHeader
	pos      int64 // bytes consumed
	expected int64 // grains the up-front tables list, -1 for a true stream
	seen     int64
}

func newStreamReader(r io.Reader) (*streamReader, error) {
	s := &streamReader{r: bufio.NewReaderSize(r, 1<<20)}
	head := make([]byte, sector)
	if err := s.read(head); err != nil {
		return nil, fmt.Errorf("read VMDK header: %w", err)
	}
	hdr, err := parseStreamHeader(head)
	if err != nil {
		return nil, err
	}
	s.hdr, s.expected = hdr, -1
	if hdr.gd < 0 {
		if err := s.skip(hdr.overhead - sector); err != nil {
			return nil, fmt.Errorf("read VMDK descriptor: %w", noEOF(err))
		}
		return s, nil
	}
	// Read as it comes rather than trusting the header's size for one allocation.
	rest, err := io.ReadAll(io.LimitReader(s.r, hdr.overhead-sector))
	s.pos += int64(len(rest))
	if err != nil || int64(len(rest)) < hdr.overhead-sector {
		return nil, fmt.Errorf("read VMDK descriptor and tables: %w", cmp.Or(err, io.ErrUnexpectedEOF))
	}
	area := append(head, rest...)
	if s.expected, err = countGrains(area, hdr); err != nil {
		return nil, err
	}
	return s, nil
}

// countGrains counts the grains the grain tables in the header area point to.
func countGrains(area []byte, h streamHeader) (int64, error) {
	le := binary.LittleEndian
	grains := (h.capacity + h.grain - 1) / h.grain
	tables := (grains + h.gtes - 1) / h.gtes
	if h.gd+tables*4 > int64(len(area)) {
		return 0, fmt.Errorf("VMDK grain directory of %d entries runs past the header area", tables)
	}
	var n int64
	for i := range tables {
		gt := int64(le.Uint32(area[h.gd+i*4:])) * sector
		if gt == 0 {
			continue
		}
		if gt+h.gtes*4 > int64(len(area)) {
			return 0, fmt.Errorf("VMDK grain table %d runs past the header area", i)
		}
		for j := range h.gtes {
			if le.Uint32(area[gt+j*4:]) > 1 { // 0: unallocated, 1: a zeroed grain
				n++
			}
		}
	}
	return n, nil
}

// next returns the next grain, its compressed bytes in buf when they fit (buf is reused by
// the caller: fresh memory is slow to touch), or io.EOF at the end of the stream. Grain
// tables, the grain directory and the footer are skipped: a stream carries everything the
// image needs in its grain markers.
func (s *streamReader) next(buf []byte) (grain, error) {
	var m [sector]byte
	for {
		if err := s.read(m[:]); err != nil {
			if err == io.EOF && s.expected >= 0 {
				if s.seen != s.expected {
					return grain{}, fmt.Errorf("stream ended after %d of the %d grains its tables list: %w", s.seen, s.expected, io.ErrUnexpectedEOF)
				}
				return grain{}, io.EOF
			}
			return grain{}, fmt.Errorf("read marker at byte %d: %w", s.pos, noEOF(err))
		}
		val, size := binary.LittleEndian.Uint64(m[0:]), binary.LittleEndian.Uint32(m[8:])
		if size == 0 {
			switch typ := binary.LittleEndian.Uint32(m[12:]); typ {
			case markerEOS:
				if s.expected >= 0 && s.seen != s.expected {
					return grain{}, fmt.Errorf("stream ended after %d of the %d grains its tables list: %w", s.seen, s.expected, io.ErrUnexpectedEOF)
				}
				return grain{}, io.EOF
			case markerGT, markerGD, markerFooter:
				if val > uint64(1<<30) {
					return grain{}, fmt.Errorf("metadata marker at byte %d claims %d sectors", s.pos-sector, val)
				}
				if err := s.skip(int64(val) * sector); err != nil {
					return grain{}, fmt.Errorf("skip metadata at byte %d: %w", s.pos, noEOF(err))
				}
				continue
			default:
				return grain{}, fmt.Errorf("unknown marker type %d at byte %d", typ, s.pos-sector)
			}
		}
		offset := int64(val) * sector
		switch {
		case val > uint64(s.hdr.capacity/sector) || offset%s.hdr.grain != 0 || offset >= s.hdr.capacity:
			return grain{}, fmt.Errorf("grain at sector %d is outside the %d-byte disk or not grain-aligned", val, s.hdr.capacity)
		case int64(size) > 2*s.hdr.grain+sector:
			return grain{}, fmt.Errorf("grain at sector %d claims %d compressed bytes", val, size)
		}
		// The deflated bytes start right after the 12-byte marker and run to a sector boundary.
		if cap(buf) < int(size) {
			buf = make([]byte, size)
		}
		data := buf[:size]
		n := copy(data, m[12:])
		if err := s.read(data[n:]); err != nil {
			return grain{}, fmt.Errorf("read grain at sector %d: %w", val, noEOF(err))
		}
		record := (12 + int64(size) + sector - 1) / sector * sector
		if pad := record - sector - int64(len(data)-n); pad > 0 {
			if err := s.skip(pad); err != nil {
				return grain{}, fmt.Errorf("read grain at sector %d: %w", val, noEOF(err))
			}
		}
		s.seen++
		return grain{offset: offset, compressed: data}, nil
	}
}

func (s *streamReader) read(b []byte) error {
	n, err := io.ReadFull(s.r, b)
	s.pos += int64(n)
	return err
}

func (s *streamReader) skip(n int64) error {
	got, err := s.r.Discard(int(n))
	s.pos += int64(got)
	return err
}

// inflater decompresses grains, reusing its zlib state between them.
type inflater struct {
	src bytes.Reader
	z   io.ReadCloser
}

// inflate decompresses g into out (one grain; the last grain of a disk may be shorter).
func (f *inflater) inflate(g grain, out []byte) error {
	f.src.Reset(g.compressed)
	var err error
	if f.z == nil {
		f.z, err = zlib.NewReader(&f.src)
	} else {
		err = f.z.(zlib.Resetter).Reset(&f.src, nil)
	}
	if err != nil {
		return fmt.Errorf("grain at byte %d: %w", g.offset, err)
	}
	if _, err := io.ReadFull(f.z, out); err != nil {
		return fmt.Errorf("grain at byte %d: %w", g.offset, noEOF(err))
	}
	// Reading on to the end makes zlib check the grain's Adler-32.
	for {
		var one [1]byte
		n, err := f.z.Read(one[:])
		switch {
		case n != 0:
			return fmt.Errorf("grain at byte %d inflates to more than %d bytes", g.offset, len(out))
		case err == io.EOF:
			return nil
		case err != nil:
			return fmt.Errorf("grain at byte %d: %w", g.offset, err)
		}
	}
}

// noEOF turns a clean EOF in the middle of a structure into the truncation it is.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
