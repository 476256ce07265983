// Package convert turns exported disks into KVM disks with qemu-img: any disk qemu-img reads
// (streamOptimized or sparse VMDK, raw, qcow2, VHD/VHDX), standalone or as a member of an OVA
// read in place, into qcow2 or raw, with progress, written under a temporary name and renamed
// only once qemu-img check passes. Disks come from plugins and users, so each is inspected
// first (Inspect) and refused unless it is self-contained: no backing file, external data
// file or VMDK extent can pull a host file into an output.
package convert

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
)

// Formats a conversion can produce. FormatVMDK is a streamOptimized VMDK, for an OVF package.
const (
	FormatQCOW2 = "qcow2"
	FormatRaw   = "raw"
	FormatVMDK  = "vmdk"
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
	Format   string // qcow2, raw or vmdk
	Compress bool   // qcow2 compressed clusters (smaller, slower to write)
}

// qemuProgress matches qemu-img -p's "    (12.34/100%)".
var qemuProgress = regexp.MustCompile(`\((\d+(?:\.\d+)?)/100%\)`)

// String names src in messages: its file, or the member and the archive it is in.
func (src Source) String() string {
	if src.Size > 0 {
		return fmt.Sprintf("%s in %s", src.Name, src.Path)
	}
	return src.Path
}

// spec is what to hand qemu-img for src: a json: pseudo-filename that names the format driver
// (like -f; none lets qemu-img probe, for Inspect to check), opens no backing file whatever the
// image's header says — so an image swapped after Inspect still cannot pull one in — and reads
// the file through the file driver, which never takes a name for a protocol. An OVA member is
// its byte range, opened through the raw driver, so the OVA is never extracted.
func (src Source) spec(format string) (string, error) {
	path, err := filepath.Abs(src.Path)
	if err != nil {
		return "", err
	}
	file := map[string]any{"driver": "file", "filename": path}
	if src.Size > 0 {
		if format == "" {
			return "", fmt.Errorf("%s: a disk inside an archive needs its format", src)
		}
		file = map[string]any{"driver": "raw", "offset": src.Offset, "size": src.Size, "file": file}
	}
	node := map[string]any{"backing": nil, "file": file}
	if format != "" {
		node["driver"] = format
	}
	if format == FormatRaw && src.Size > 0 {
		node = file // the byte range is the disk
		node["backing"] = nil
	}
	raw, err := json.Marshal(node)
	return "json:" + string(raw), err
}

// Convert writes src to out in opts.Format, reporting progress in percent. src is inspected
// first and refused (ErrUnsafeImage) unless it is self-contained; qemu-img then reads it with
// the format Inspect settled on and no backing file. The result appears at out only when
// complete and (for qcow2) checked; a failure leaves nothing at out. An existing out is never
// replaced: Convert fails with an error wrapping os.ErrExist, also when out appears while it
// converts, or when another conversion to out is under way (its out.part exists).
func Convert(ctx context.Context, qemuImg string, src Source, out string, opts Options, progress func(float64)) error {
	if opts.Format != FormatQCOW2 && opts.Format != FormatRaw && opts.Format != FormatVMDK {
		return fmt.Errorf("output format must be qcow2, raw or vmdk, got %q", opts.Format)
	}
	if err := refuseExisting(out); err != nil {
		return err
	}
	info, err := Inspect(ctx, qemuImg, src)
	if err != nil {
		return err
	}
	in, err := src.spec(info.Format)
	if err != nil {
		return err
	}
	part, err := createPart(out)
	if err != nil {
		return err
	}
	if err := convertTo(ctx, qemuImg, in, part, opts, progress); err != nil {
		os.Remove(part) // ours: createPart made it
		return err
	}
	if err := publish(part, out); err != nil {
		os.Remove(part)
		return err
	}
	return nil
}

// convertTo runs qemu-img convert from the json: spec in to part and makes the result durable,
// checked first when it is a qcow2.
func convertTo(ctx context.Context, qemuImg, in, part string, opts Options, progress func(float64)) error {
	args := []string{"convert", "-p", "-O", opts.Format}
	if opts.Compress && opts.Format == FormatQCOW2 {
		args = append(args, "-c")
	}
	if opts.Format == FormatVMDK {
		args = append(args, "-o", "subformat=streamOptimized")
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
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("qemu-img convert: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	if opts.Format == FormatQCOW2 {
		if err := checkQCOW2(ctx, qemuImg, part); err != nil {
			return fmt.Errorf("the converted disk: %w", err)
		}
	}
	return diskfile.Sync(part)
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
