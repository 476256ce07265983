package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
)

// errNoOS is the real fixer's failure on a disk it cannot mount a root filesystem from.
var errNoOS = errors.New("Failed to mount root filesystem")

// fixDisk stands in for hyper2kvm's offline fixer (libguestfs): it accepts a disk with an MBR
// boot signature (0x55AA at byte 510) or a GPT header ("EFI PART" at LBA 1), the mark of a disk
// an operating system was installed on, and fails like the real one on anything else.
func fixDisk(ctx context.Context, lg *logger, path, format string) error {
	lg.Infof("🔧 Inspecting guest in %s", path)
	b, err := head(ctx, path, format, 1024)
	if err != nil {
		return fmt.Errorf("inspect %s: %w", path, err)
	}
	mbr := len(b) >= 512 && b[510] == 0x55 && b[511] == 0xAA
	gpt := len(b) >= 520 && bytes.Equal(b[512:520], []byte("EFI PART"))
	if !mbr && !gpt {
		lg.Errorf("No operating system found on %s (no MBR boot signature, no GPT header)", path)
		return errNoOS
	}
	kind := "MBR"
	if gpt {
		kind = "GPT"
	}
	lg.Infof("✅ Guest found (%s partition table); fstab, grub and initramfs left as they are by the stand-in", kind)
	return nil
}
