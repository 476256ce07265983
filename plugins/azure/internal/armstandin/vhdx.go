package armstandin

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// vhdxRun is the granularity at which a VHDX image's zero runs are left out of its page blob.
const vhdxRun = 64 << 10

// vhdxImage is the disk as a dynamic VHDX file, what a grant with fileFormat VHDX serves: the
// stand-in has qemu-img write it from the disk's raw bytes.
func vhdxImage(ctx context.Context, size int64, data map[int64][]byte) ([]byte, error) {
	qemuImg, err := exec.LookPath("qemu-img")
	if err != nil {
		return nil, fmt.Errorf("the stand-in needs qemu-img to serve a VHDX grant: %w", err)
	}
	dir, err := os.MkdirTemp("", "armstandin-vhdx-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	raw, out := filepath.Join(dir, "disk.raw"), filepath.Join(dir, "disk.vhdx")
	f, err := os.Create(raw)
	if err != nil {
		return nil, err
	}
	for off, b := range data {
		if _, err := f.WriteAt(b, off); err != nil {
			f.Close()
			return nil, err
		}
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	if b, err := exec.CommandContext(ctx, qemuImg, "convert", "-f", "raw", "-O", "vhdx", "-o", "subformat=dynamic", raw, out).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("qemu-img convert to vhdx: %w: %s", err, b)
	}
	return os.ReadFile(out)
}

// nonZeroRuns splits an image into the runs of vhdxRun bytes that hold data: the pages a blob
// of it allocates.
func nonZeroRuns(img []byte) map[int64][]byte {
	out := map[int64][]byte{}
	for off := 0; off < len(img); off += vhdxRun {
		run := img[off:min(off+vhdxRun, len(img))]
		for _, c := range run {
			if c != 0 {
				out[int64(off)] = run
				break
			}
		}
	}
	return out
}
