package convert

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// ErrUnsafeImage means an image refers to data outside itself — a backing file, an external
// data file, VMDK extents in other files — or is in a format hypersdk does not convert. Images
// come from plugins and from users' files; following such a reference would copy whatever
// host file it names (/etc/shadow) into the converted disk, so none is ever followed.
var ErrUnsafeImage = errors.New("refused: the image is not self-contained")

// convertible are the qemu-img drivers hypersdk reads. Others qemu-img would probe (qed, qcow,
// parallels, dmg, luks…) are refused rather than trusted.
var convertible = map[string]bool{FormatRaw: true, FormatQCOW2: true, "vmdk": true, "vpc": true, "vhdx": true}

// ImageInfo is what qemu-img info says of an image.
type ImageInfo struct {
	Format      string `json:"format"`
	VirtualSize int64  `json:"virtual-size"`
	ActualSize  int64  `json:"actual-size"`
}

// report is qemu-img info's JSON, with the fields that name other files.
type report struct {
	ImageInfo
	BackingFilename     string `json:"backing-filename"`
	FullBackingFilename string `json:"full-backing-filename"`
	FormatSpecific      struct {
		Data struct {
			DataFile string `json:"data-file"`
			Extents  []struct {
				Filename string `json:"filename"`
			} `json:"extents"`
		} `json:"data"`
	} `json:"format-specific"`
}

// Inspect describes src as qemu-img sees it and refuses it, with ErrUnsafeImage, when it is not
// self-contained. src.Format, when set, is the driver qemu-img must use; when empty qemu-img
// probes a plain file, and what it found is checked like a declared format.
//
// qemu-img info runs without --backing-chain on purpose: that flag makes it open every backing
// file to describe it — the very file to refuse — while without it the image is opened with no
// backing and its backing-filename is still reported. Files qemu-img would open even so (a
// qcow2 external data file, VMDK extents) are refused from the header first, by refuseByHeader,
// and checked again in qemu-img's report. qemu-img info gets infoTimeout to answer.
func Inspect(ctx context.Context, qemuImg string, src Source) (ImageInfo, error) {
	return inspect(ctx, qemuImg, src, infoTimeout)
}

// infoTimeout bounds one qemu-img info. It describes an image from its headers in well under a
// second; one still running after this is stuck — on a file it should never have opened — and
// would otherwise hold a worker forever.
const infoTimeout = 2 * time.Minute

// inspect is Inspect with qemu-img info bounded by timeout.
func inspect(ctx context.Context, qemuImg string, src Source, timeout time.Duration) (ImageInfo, error) {
	if src.Format != "" && !convertible[src.Format] {
		return ImageInfo{}, fmt.Errorf("%w: %s: hypersdk does not read %q images", ErrUnsafeImage, src, src.Format)
	}
	if err := refuseByHeader(src); err != nil {
		return ImageInfo{}, err
	}
	spec, err := src.spec(src.Format)
	if err != nil {
		return ImageInfo{}, err
	}
	infoCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(infoCtx, qemuImg, "info", "--output=json", spec)
	cmd.WaitDelay = 5 * time.Second // a killed qemu-img's children must not hold its output open
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			return ImageInfo{}, fmt.Errorf("qemu-img info %s: %w", src, ctx.Err())
		}
		if infoCtx.Err() != nil {
			return ImageInfo{}, fmt.Errorf("qemu-img info %s: no answer within %s: %w", src, timeout, infoCtx.Err())
		}
		return ImageInfo{}, fmt.Errorf("qemu-img info %s: %w: %s", src, err, bytes.TrimSpace(stderr.Bytes()))
	}
	var rep report
	if err := json.Unmarshal(out, &rep); err != nil {
		return ImageInfo{}, fmt.Errorf("qemu-img info %s: %w", src, err)
	}
	if err := rep.refuse(src); err != nil {
		return ImageInfo{}, err
	}
	return rep.ImageInfo, nil
}

// refuse checks qemu-img's report of src for references to other files.
func (rep *report) refuse(src Source) error {
	switch {
	case !convertible[rep.Format]:
		return fmt.Errorf("%w: %s is a %q image, which hypersdk does not read", ErrUnsafeImage, src, rep.Format)
	case src.Format != "" && rep.Format != src.Format:
		return fmt.Errorf("%w: %s was opened as %s but qemu-img reports %s", ErrUnsafeImage, src, src.Format, rep.Format)
	case rep.BackingFilename != "" || rep.FullBackingFilename != "":
		return fmt.Errorf("%w: %s has a backing file %q", ErrUnsafeImage, src, cmp.Or(rep.FullBackingFilename, rep.BackingFilename))
	case rep.FormatSpecific.Data.DataFile != "":
		return fmt.Errorf("%w: %s has an external data file %q", ErrUnsafeImage, src, rep.FormatSpecific.Data.DataFile)
	}
	for _, e := range rep.FormatSpecific.Data.Extents {
		if !src.isItself(e.Filename) {
			return fmt.Errorf("%w: %s has a VMDK extent in another file, %q", ErrUnsafeImage, src, e.Filename)
		}
	}
	return nil
}

// isItself reports whether qemu-img's name for an extent is src itself: its file, or for an
// OVA member the raw byte-range node that Source.spec built around it.
func (src Source) isItself(name string) bool {
	path, err := filepath.Abs(src.Path)
	if err != nil {
		return false
	}
	if src.Size == 0 {
		return name == path
	}
	js, ok := strings.CutPrefix(name, "json:")
	if !ok {
		return false
	}
	var node struct {
		Driver string
		Offset int64
		Size   int64
		File   struct{ Driver, Filename string }
	}
	return json.Unmarshal([]byte(js), &node) == nil && node.Driver == "raw" && node.Offset == src.Offset &&
		node.Size == src.Size && node.File.Driver == "file" && node.File.Filename == path
}

// Info describes the image at path, probing its format, and refuses it as Inspect does.
func Info(ctx context.Context, qemuImg, path string) (ImageInfo, error) {
	return Inspect(ctx, qemuImg, Source{Path: path})
}
