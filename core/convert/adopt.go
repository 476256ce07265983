package convert

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
)

// Adopt moves an image converted elsewhere — by a provider, while it downloaded the disk — to
// out, once qemu-img agrees it is what it claims: the format, the virtual size of the disk it
// replaces, and for qcow2 a clean `qemu-img check`. The image is moved, not copied: img and out
// must be on one filesystem. On error img is left where it was and nothing is at out.
func Adopt(ctx context.Context, qemuImg, img, format string, virtualSize int64, out string) error {
	gotFormat, gotSize, err := imageFormat(img)
	if err != nil {
		return err
	}
	if gotFormat != format || gotSize != virtualSize {
		return fmt.Errorf("%s is a %d-byte %s image, want a %d-byte %s one", img, gotSize, gotFormat, virtualSize, format)
	}
	if format == FormatQCOW2 {
		if err := checkQCOW2(ctx, qemuImg, img); err != nil {
			return err
		}
	}
	return os.Rename(img, out)
}

// checkQCOW2 runs `qemu-img check` on a qcow2 image: its tables and refcounts agree.
func checkQCOW2(ctx context.Context, qemuImg, path string) error {
	if msg, err := exec.CommandContext(ctx, qemuImg, "check", "-q", "-f", "qcow2", path).CombinedOutput(); err != nil {
		return fmt.Errorf("qemu-img check %s: %v: %s", path, err, bytes.TrimSpace(msg))
	}
	return nil
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
	if n, _ := f.ReadAt(hdr[:], 0); n == len(hdr) && binary.BigEndian.Uint32(hdr[0:]) == 0x514649fb {
		if v := binary.BigEndian.Uint32(hdr[4:]); v != 2 && v != 3 {
			return "", 0, fmt.Errorf("%s is a qcow2 image of unknown version %d", path, v)
		}
		return FormatQCOW2, int64(binary.BigEndian.Uint64(hdr[24:])), nil
	}
	return FormatRaw, st.Size(), nil
}
