// Package convert turns exported disks into KVM disks with qemu-img: any disk qemu-img reads
// (streamOptimized or sparse VMDK, raw, qcow2, VHD/VHDX), standalone or as a member of an OVA
// read in place, into qcow2 or raw, with progress, written under a temporary name and renamed
// only once qemu-img check passes.
package convert

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
)

// Formats a conversion can produce.
const (
	FormatQCOW2 = "qcow2"
	FormatRaw   = "raw"
)

// Source is a disk to convert: a file, or a byte range of one (an OVA member).
type Source struct {
	Path   string
	Offset int64 // with Size: the disk is bytes [Offset, Offset+Size) of Path
	Size   int64
	Format string // qemu-img driver: vmdk, raw, qcow2, vpc, vhdx; empty lets qemu-img probe a plain file
	Name   string // the disk's file name in the export (an OVF href, an OVA member)
}

// Options shape the output.
type Options struct {
	Format   string // qcow2 or raw
	Compress bool   // qcow2 compressed clusters (smaller, slower to write)
}

// qemuProgress matches qemu-img -p's "    (12.34/100%)".
var qemuProgress = regexp.MustCompile(`\((\d+(?:\.\d+)?)/100%\)`)

// filename is what to hand qemu-img for src: a plain path, or a json: pseudo-filename that opens
// the byte range of the OVA through the raw driver, so the OVA is never extracted.
func (src Source) filename() (string, error) {
	if src.Size == 0 {
		return src.Path, nil
	}
	if src.Format == "" {
		return "", errors.New("a disk inside an archive needs its format")
	}
	spec := map[string]any{
		"driver": src.Format,
		"file": map[string]any{
			"driver": "raw", "offset": src.Offset, "size": src.Size,
			"file": map[string]any{"driver": "file", "filename": src.Path},
		},
	}
	if src.Format == "raw" {
		spec = spec["file"].(map[string]any)
	}
	raw, err := json.Marshal(spec)
	return "json:" + string(raw), err
}

// Convert writes src to out in opts.Format, reporting progress in percent. The result appears
// at out only when complete and (for qcow2) checked; a failure leaves nothing at out.
func Convert(ctx context.Context, qemuImg string, src Source, out string, opts Options, progress func(float64)) error {
	if opts.Format != FormatQCOW2 && opts.Format != FormatRaw {
		return fmt.Errorf("output format must be qcow2 or raw, got %q", opts.Format)
	}
	in, err := src.filename()
	if err != nil {
		return err
	}
	part := out + ".part"
	args := []string{"convert", "-p", "-O", opts.Format}
	if src.Size == 0 && src.Format != "" {
		args = append(args, "-f", src.Format)
	}
	if opts.Compress && opts.Format == FormatQCOW2 {
		args = append(args, "-c")
	}
	args = append(args, in, part)
	cmd := exec.CommandContext(ctx, qemuImg, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start qemu-img: %w", err)
	}
	sc := bufio.NewScanner(stdout)
	sc.Split(splitCR)
	for sc.Scan() {
		if m := qemuProgress.FindStringSubmatch(sc.Text()); m != nil && progress != nil {
			if pct, err := strconv.ParseFloat(m[1], 64); err == nil {
				progress(pct)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		os.Remove(part)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("qemu-img convert: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	if opts.Format == FormatQCOW2 {
		if err := checkQCOW2(ctx, qemuImg, part); err != nil {
			os.Remove(part)
			return fmt.Errorf("the converted disk: %w", err)
		}
	}
	if err := diskfile.Sync(part); err != nil {
		os.Remove(part)
		return err
	}
	return os.Rename(part, out)
}

// splitCR splits qemu-img's progress output, which ends each update with \r.
func splitCR(data []byte, atEOF bool) (int, []byte, error) {
	for i, b := range data {
		if b == '\r' || b == '\n' {
			return i + 1, data[:i], nil
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}

// ImageInfo is what qemu-img info says of an image.
type ImageInfo struct {
	Format      string `json:"format"`
	VirtualSize int64  `json:"virtual-size"`
	ActualSize  int64  `json:"actual-size"`
}

// Info runs qemu-img info on a file.
func Info(ctx context.Context, qemuImg, path string) (ImageInfo, error) {
	out, err := exec.CommandContext(ctx, qemuImg, "info", "--output=json", path).Output()
	if err != nil {
		return ImageInfo{}, fmt.Errorf("qemu-img info %s: %w", path, err)
	}
	var info ImageInfo
	if err := json.Unmarshal(out, &info); err != nil {
		return ImageInfo{}, fmt.Errorf("qemu-img info %s: %w", path, err)
	}
	return info, nil
}
