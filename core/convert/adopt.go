package convert

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
)

// Adopt moves an image converted elsewhere — by a provider, while it downloaded the disk — to
// out, once qemu-img agrees it is what it claims: the format, the virtual size of the disk it
// replaces, self-contained (Inspect: no backing file, no external data file, which the guest
// it goes to would read through), and for qcow2 a clean `qemu-img check`. The image is moved,
// not copied: img and out must be on one filesystem. On error img is left where it was and
// nothing is at out; an existing out is never replaced (an error wrapping os.ErrExist).
func Adopt(ctx context.Context, qemuImg, img, format string, virtualSize int64, out string) error {
	if err := refuseExisting(out); err != nil {
		return err
	}
	if err := Check(ctx, qemuImg, img, format, virtualSize); err != nil {
		return err
	}
	return publish(img, out)
}

// Check is Adopt's verdict on an image without the move: an image already where it belongs
// (a provider that named its converted disk as the export names it) is checked in place.
func Check(ctx context.Context, qemuImg, img, format string, virtualSize int64) error {
	if format == FormatQCOW2 || format == FormatRaw {
		got, size, err := imageFormat(img)
		if err != nil {
			return err
		}
		if got != format {
			return fmt.Errorf("%s is a %d-byte %s image, want a %d-byte %s one", img, size, got, virtualSize, format)
		}
	}
	info, err := Inspect(ctx, qemuImg, Source{Path: img, Format: format})
	if err != nil {
		return err
	}
	if info.VirtualSize != virtualSize {
		return fmt.Errorf("%s is a %d-byte %s image, want a %d-byte %s one", img, info.VirtualSize, info.Format, virtualSize, format)
	}
	if format == FormatQCOW2 {
		return checkQCOW2(ctx, qemuImg, img)
	}
	return nil
}

// checkQCOW2 runs `qemu-img check` on a qcow2 image: its tables and refcounts agree.
func checkQCOW2(ctx context.Context, qemuImg, path string) error {
	if msg, err := exec.CommandContext(ctx, qemuImg, "check", "-q", "-f", "qcow2", path).CombinedOutput(); err != nil {
		return fmt.Errorf("qemu-img check %s: %v: %s", path, err, bytes.TrimSpace(msg))
	}
	return nil
}
