// Package vhd reads and writes the 512-byte footer of a fixed VHD, the form in which Azure
// serves a managed disk or snapshot through a SAS: the disk's bytes, then this footer. The Azure
// provider checks it and leaves it out, so what it writes is the raw disk; the ARM stand-in of
// the tests appends one to the page blobs it serves. A disk of 4096-byte sectors is served as
// a VHDX instead, which the provider knows by its signature (IsVHDX) and keeps whole.
package vhd

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// FooterSize is the size of a VHD footer.
const FooterSize = 512

// Disk types of a VHD footer; Azure serves fixed disks only.
const (
	TypeFixed   = 2
	TypeDynamic = 3
)

var cookie = []byte("conectix")

// ErrNotVHD says the bytes are not a valid VHD footer.
var ErrNotVHD = errors.New("not a VHD footer")

// Footer is what the provider needs of a VHD footer.
type Footer struct {
	// CurrentSize is the size of the disk the VHD holds, in bytes.
	CurrentSize int64
	DiskType    uint32
}

// vhdEpoch is the origin of a footer's timestamp.
var vhdEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Parse checks a footer's cookie and checksum and reads it.
func Parse(b []byte) (Footer, error) {
	if len(b) != FooterSize {
		return Footer{}, fmt.Errorf("%w: %d bytes, want %d", ErrNotVHD, len(b), FooterSize)
	}
	if !bytes.Equal(b[:8], cookie) {
		return Footer{}, fmt.Errorf("%w: cookie %q, want %q", ErrNotVHD, b[:8], cookie)
	}
	if got, want := binary.BigEndian.Uint32(b[64:68]), checksum(b); got != want {
		return Footer{}, fmt.Errorf("%w: checksum %#x, computed %#x", ErrNotVHD, got, want)
	}
	return Footer{CurrentSize: int64(binary.BigEndian.Uint64(b[48:56])), DiskType: binary.BigEndian.Uint32(b[60:64])}, nil
}

// FixedFooter is the footer of a fixed VHD holding size bytes, as Azure makes it.
func FixedFooter(size int64, at time.Time) []byte {
	b := make([]byte, FooterSize)
	copy(b, cookie)
	binary.BigEndian.PutUint32(b[8:], 2)           // features: reserved bit set
	binary.BigEndian.PutUint32(b[12:], 0x00010000) // file format version 1.0
	binary.BigEndian.PutUint64(b[16:], ^uint64(0)) // data offset: none for a fixed disk
	binary.BigEndian.PutUint32(b[24:], uint32(at.Sub(vhdEpoch)/time.Second))
	copy(b[28:32], "win ")
	binary.BigEndian.PutUint32(b[32:], 0x000a0000)
	copy(b[36:40], "Wi2k")
	binary.BigEndian.PutUint64(b[40:], uint64(size))
	binary.BigEndian.PutUint64(b[48:], uint64(size))
	binary.BigEndian.PutUint32(b[56:], chs(size))
	binary.BigEndian.PutUint32(b[60:], TypeFixed)
	binary.BigEndian.PutUint32(b[64:], checksum(b))
	return b
}

// checksum is the one's complement of the sum of the footer's bytes, its checksum field left out.
func checksum(b []byte) uint32 {
	var sum uint32
	for i, c := range b {
		if i >= 64 && i < 68 {
			continue
		}
		sum += uint32(c)
	}
	return ^sum
}

// chs is the disk geometry of the VHD specification's appendix for size bytes.
func chs(size int64) uint32 {
	sectors := size / 512
	if sectors > 65535*16*255 {
		sectors = 65535 * 16 * 255
	}
	var spt, heads, cth int64
	if sectors >= 65535*16*63 {
		spt, heads = 255, 16
		cth = sectors / spt
	} else {
		spt = 17
		cth = sectors / spt
		heads = (cth + 1023) / 1024
		if heads < 4 {
			heads = 4
		}
		if cth >= heads*1024 || heads > 16 {
			spt, heads = 31, 16
			cth = sectors / spt
		}
		if cth >= heads*1024 {
			spt, heads = 63, 16
			cth = sectors / spt
		}
	}
	cyl := cth / heads
	return uint32(cyl)<<16 | uint32(heads)<<8 | uint32(spt)
}
