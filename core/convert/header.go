package convert

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"

	"github.com/hypersdk/hypersdk/core/vmdk"
)

// qcow2Magic opens every qcow2 image: "QFI\xfb".
const qcow2Magic = 0x514649fb

// headerBytes is how much of an image refuseByHeader reads: as much of a VMDK descriptor as
// qemu reads; a qcow2 header with its extensions fits in far less.
const headerBytes = qemuDescriptorBytes

// refuseByHeader refuses, from its first bytes and before qemu-img opens it, an image that
// would make qemu-img open other files just to describe it: a qcow2 with an external data
// file, a VMDK descriptor naming extent files — a descriptor file, or the descriptor embedded
// in a sparse VMDK whose capacity is 0, which qemu reads as one. (A backing file is left to
// Inspect: qemu-img info reports one without opening it.) Opening is already too much for an
// untrusted image — a FIFO hangs the inspection, a missing file tells the sender what exists
// on the host. format is the declared driver; "" means qemu-img will probe, so both kinds are
// looked for.
func refuseByHeader(src Source) error {
	if src.Format != "" && src.Format != FormatQCOW2 && src.Format != "vmdk" {
		return nil
	}
	f, size, err := openImage(src.Path)
	if err != nil {
		return fmt.Errorf("inspect %s: %w", src, err)
	}
	defer f.Close()
	if src.Size > 0 {
		size = src.Size
	}
	hdr, err := readRange(f, src.Offset, 0, size, headerBytes)
	if err != nil {
		return fmt.Errorf("inspect %s: %w", src, err)
	}
	if src.Format != "vmdk" && len(hdr) >= 8 && binary.BigEndian.Uint32(hdr) == qcow2Magic {
		if name, ok := qcow2DataFile(hdr); ok {
			return fmt.Errorf("%w: %s is a qcow2 image with an external data file %q", ErrUnsafeImage, src, name)
		}
	}
	if src.Format == FormatQCOW2 || bytes.HasPrefix(hdr, []byte("COWD")) { // VMDK3 has no descriptor
		return nil
	}
	what, desc := "a VMDK descriptor", hdr
	if bytes.HasPrefix(hdr, []byte("KDMV")) {
		// qemu parses the embedded descriptor for extents only when the capacity is 0
		// (vmdk_open_vmdk4); otherwise it lists the image itself, under its original name.
		h, ok := vmdk.ParseHeader(hdr)
		if !ok || h.CapacitySectors != 0 || h.DescriptorOffset == 0 || h.DescriptorOffset > uint64(size)/512 {
			return nil
		}
		if desc, err = readRange(f, src.Offset, int64(h.DescriptorOffset)*512, size, qemuDescriptorBytes); err != nil {
			return fmt.Errorf("inspect %s: embedded descriptor: %w", src, err)
		}
		what = "a sparse VMDK whose embedded descriptor"
	}
	if names := qemuExtents(desc); len(names) > 0 {
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = fmt.Sprintf("%q", n)
		}
		return fmt.Errorf("%w: %s is %s whose extents are other files: %s", ErrUnsafeImage, src, what, strings.Join(quoted, ", "))
	}
	return nil
}

// openImage opens an image file for reading without blocking on it, and refuses what is not
// a disk: a FIFO (whose open and reads wait for a writer — one would hang the worker), a
// socket or a character device. size is the file's size.
func openImage(path string) (f *os.File, size int64, err error) {
	f, err = os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if st.Mode()&(fs.ModeNamedPipe|fs.ModeSocket|fs.ModeCharDevice) != 0 {
		f.Close()
		return nil, 0, fmt.Errorf("%w: %s is a %s, not a disk image", ErrUnsafeImage, path, st.Mode().Type())
	}
	return f, st.Size(), nil
}

// readRange reads up to n bytes at off within an image that is the size bytes of f from base
// (an OVA member) — fewer where the image ends.
func readRange(f *os.File, base, off, size, n int64) ([]byte, error) {
	n = max(0, min(n, size-off))
	buf := make([]byte, n)
	got, err := f.ReadAt(buf, base+off)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:got], nil
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
	f, size, err := openImage(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	var hdr [32]byte
	if n, _ := f.ReadAt(hdr[:], 0); n == len(hdr) && binary.BigEndian.Uint32(hdr[0:]) == qcow2Magic {
		if v := binary.BigEndian.Uint32(hdr[4:]); v != 2 && v != 3 {
			return "", 0, fmt.Errorf("%s is a qcow2 image of unknown version %d", path, v)
		}
		return FormatQCOW2, int64(binary.BigEndian.Uint64(hdr[24:])), nil
	}
	return FormatRaw, size, nil
}
