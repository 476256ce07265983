package convert

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
)

// Adopt moves an image converted elsewhere — by a provider, while it downloaded the disk — to
// out, once qemu-img agrees it is what it claims: the format, the virtual size of the disk it
// replaces, and for qcow2 a clean `qemu-img check`. The image is moved, not copied: img and out
// must be on one filesystem. On error img is left where it was and nothing is at out.
func Adopt(ctx context.Context, qemuImg, img, format string, virtualSize int64, out string) error {
	info, err := Info(ctx, qemuImg, img)
	if err != nil {
		return err
	}
	if info.Format != format || info.VirtualSize != virtualSize {
		return fmt.Errorf("%s is a %d-byte %s image, want a %d-byte %s one", img, info.VirtualSize, info.Format, virtualSize, format)
	}
	if format == FormatQCOW2 {
		if msg, err := exec.CommandContext(ctx, qemuImg, "check", "-q", "-f", "qcow2", img).CombinedOutput(); err != nil {
			return fmt.Errorf("qemu-img check %s: %v: %s", img, err, bytes.TrimSpace(msg))
		}
	}
	return os.Rename(img, out)
}
