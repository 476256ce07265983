package convert

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// qcow2Magic opens every qcow2 image: "QFI\xfb".
const qcow2Magic = 0x514649fb

// headerBytes is how much of an image refuseByHeader reads: a qcow2 header with its
// extensions, or a VMDK descriptor, fits.
const headerBytes = 64 << 10

// vmdkExtent matches an extent line of a VMDK descriptor, as qemu's vmdk driver reads it:
// access, size in sectors, type, "file name".
var vmdkExtent = regexp.MustCompile(`(?m)^[ \t]*(?:RW|RDONLY|NOACCESS)[ \t]+\d+[ \t]+\S+[ \t]+"([^"\r\n]*)"`)

// refuseByHeader refuses, from its first bytes and before qemu-img opens it, an image that
// would make qemu-img open other files just to describe it: a qcow2 with an external data
// file, a VMDK descriptor naming extent files. (A backing file is left to Inspect: qemu-img
// info reports one without opening it.) Opening is already too much for an untrusted image —
// a FIFO hangs the inspection, a missing file tells the sender what exists on the host.
// format is the declared driver; "" means qemu-img will probe, so both kinds are looked for.
func refuseByHeader(src Source) error {
	if src.Format != "" && src.Format != FormatQCOW2 && src.Format != "vmdk" {
		return nil
	}
	f, err := os.Open(src.Path)
	if err != nil {
		return fmt.Errorf("inspect %s: %w", src, err)
	}
	defer f.Close()
	n := int64(headerBytes)
	if src.Size > 0 {
		n = min(n, src.Size)
	}
	hdr := make([]byte, n)
	got, err := f.ReadAt(hdr, src.Offset)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("inspect %s: %w", src, err)
	}
	hdr = hdr[:got]
	if src.Format != "vmdk" && len(hdr) >= 8 && binary.BigEndian.Uint32(hdr) == qcow2Magic {
		if name, ok := qcow2DataFile(hdr); ok {
			return fmt.Errorf("%w: %s is a qcow2 image with an external data file %q", ErrUnsafeImage, src, name)
		}
	}
	if src.Format != FormatQCOW2 && !bytes.HasPrefix(hdr, []byte("KDMV")) && !bytes.HasPrefix(hdr, []byte("COWD")) {
		var files []string
		for _, m := range vmdkExtent.FindAllSubmatch(hdr, -1) {
			files = append(files, fmt.Sprintf("%q", m[1]))
		}
		if len(files) > 0 {
			return fmt.Errorf("%w: %s is a VMDK descriptor whose extents are other files: %s", ErrUnsafeImage, src, strings.Join(files, ", "))
		}
	}
	return nil
}

// qcow2DataFile reports whether a qcow2 header sets the external-data-file incompatible
// feature (bit 2, version 3 only) and, when its header extension is in hdr, the file's name.
func qcow2DataFile(hdr []byte) (name string, ok bool) {
	be := binary.BigEndian
	if len(hdr) < 104 || be.Uint32(hdr[4:]) < 3 || be.Uint64(hdr[72:])&(1<<2) == 0 {
		return "", false
	}
	const extDataFile = 0x44415441
	for off := int(be.Uint32(hdr[100:])); off+8 <= len(hdr); {
		typ, size := be.Uint32(hdr[off:]), int(be.Uint32(hdr[off+4:]))
		if typ == 0 || off+8+size > len(hdr) {
			break
		}
		if typ == extDataFile {
			return string(hdr[off+8 : off+8+size]), true
		}
		off += 8 + (size+7)/8*8
	}
	return "", true
}

// imageFormat tells a qcow2 (by its header: magic, version, virtual size) from a raw image
// (anything else, its size the file's), without starting qemu-img.
func imageFormat(path string) (format string, virtualSize int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	var hdr [32]byte
	if n, _ := f.ReadAt(hdr[:], 0); n == len(hdr) && binary.BigEndian.Uint32(hdr[0:]) == qcow2Magic {
		if v := binary.BigEndian.Uint32(hdr[4:]); v != 2 && v != 3 {
			return "", 0, fmt.Errorf("%s is a qcow2 image of unknown version %d", path, v)
		}
		return FormatQCOW2, int64(binary.BigEndian.Uint64(hdr[24:])), nil
	}
	return FormatRaw, st.Size(), nil
}
