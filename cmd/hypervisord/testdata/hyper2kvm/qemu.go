package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// qemuImg runs qemu-img, returning its combined output in the error when it fails.
func qemuImg(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "qemu-img", args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("qemu-img %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.Bytes(), nil
}

// convert writes src (format srcFormat, "" to let qemu-img probe) to dst in format outFormat.
func convert(ctx context.Context, src, srcFormat, dst, outFormat string, compress bool) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	a := []string{"convert"}
	if srcFormat != "" {
		a = append(a, "-f", srcFormat)
	}
	a = append(a, "-O", outFormat)
	if compress && outFormat == "qcow2" {
		a = append(a, "-c")
	}
	_, err := qemuImg(ctx, append(a, src, dst)...)
	return err
}

// imageInfo is the part of `qemu-img info --output=json` the stand-in reports.
type imageInfo struct {
	Format      string `json:"format"`
	VirtualSize int64  `json:"virtual-size"`
	ActualSize  int64  `json:"actual-size"`
}

func info(ctx context.Context, path, format string) (imageInfo, error) {
	a := []string{"info", "--output=json"}
	if format != "" {
		a = append(a, "-f", format)
	}
	out, err := qemuImg(ctx, append(a, path)...)
	if err != nil {
		return imageInfo{}, err
	}
	var i imageInfo
	if err := json.Unmarshal(out, &i); err != nil {
		return imageInfo{}, fmt.Errorf("qemu-img info %s: %w", path, err)
	}
	return i, nil
}

// head returns the first n bytes of the disk's guest-visible content, whatever its format.
func head(ctx context.Context, path, format string, n int) ([]byte, error) {
	tmp, err := os.CreateTemp("", "hyper2kvm-head-*.raw")
	if err != nil {
		return nil, err
	}
	tmp.Close()
	os.Remove(tmp.Name()) // qemu-img dd creates it
	defer os.Remove(tmp.Name())
	a := []string{"dd"}
	if format != "" {
		a = append(a, "-f", format)
	}
	a = append(a, "-O", "raw", "bs=512", fmt.Sprintf("count=%d", (n+511)/512), "if="+path, "of="+tmp.Name())
	if _, err := qemuImg(ctx, a...); err != nil {
		return nil, err
	}
	return os.ReadFile(tmp.Name())
}

// standinDelay is HYPER2KVM_STANDIN_DELAY: how long every run or manifest is held before converting.
func standinDelay() time.Duration {
	d, err := time.ParseDuration(os.Getenv("HYPER2KVM_STANDIN_DELAY"))
	if err != nil {
		return 0
	}
	return d
}
