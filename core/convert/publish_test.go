package convert

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var precious = []byte("the disk of a VM defined earlier")

// TestNothingIsWrittenOver puts a file where a conversion or an adoption is going, before it
// starts or while it runs: it fails with os.ErrExist and the file is byte-identical afterwards.
func TestNothingIsWrittenOver(t *testing.T) {
	t.Parallel()
	qemu := needQemuImg(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		taken func(out string) string // makes the clash before the call; the path to keep intact
		run   func(t *testing.T, dir, out string) error
	}{
		{"Convert onto an existing file", takeOut, func(t *testing.T, dir, out string) error {
			_, vmdk := fixture(t, qemu, dir)
			return Convert(ctx, qemu, Source{Path: vmdk, Format: "vmdk"}, out, Options{Format: FormatQCOW2}, nil)
		}},
		{"Convert while another conversion writes out.part", func(out string) string {
			os.WriteFile(out+".part", precious, 0o644)
			return out + ".part"
		}, func(t *testing.T, dir, out string) error {
			_, vmdk := fixture(t, qemu, dir)
			return Convert(ctx, qemu, Source{Path: vmdk, Format: "vmdk"}, out, Options{Format: FormatRaw}, nil)
		}},
		{"Convert, out appears while it converts", func(out string) string { return out }, func(t *testing.T, dir, out string) error {
			_, vmdk := fixture(t, qemu, dir)
			var once sync.Once
			return Convert(ctx, qemu, Source{Path: vmdk, Format: "vmdk"}, out, Options{Format: FormatQCOW2}, func(float64) {
				once.Do(func() { takeOut(out) }) // after the checks, before the rename
			})
		}},
		{"Adopt onto an existing file", takeOut, func(t *testing.T, dir, out string) error {
			raw, _ := fixture(t, qemu, dir)
			err := Adopt(ctx, qemu, raw, FormatRaw, 32<<20, out)
			if _, serr := os.Stat(raw); serr != nil {
				t.Errorf("the image Adopt refused is gone: %v", serr)
			}
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			out := filepath.Join(dir, "web-disk0.img")
			keep := tt.taken(out)
			err := tt.run(t, dir, out)
			if !errors.Is(err, os.ErrExist) {
				t.Fatalf("err = %v, want one wrapping os.ErrExist", err)
			}
			if got, _ := os.ReadFile(keep); string(got) != string(precious) {
				t.Errorf("%s was written over: %d bytes, want %q", keep, len(got), precious)
			}
			if keep == out {
				if _, err := os.Stat(out + ".part"); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("the temporary file was left behind: %v", err)
				}
			}
		})
	}
}

// takeOut puts the precious file at out, if nothing is there yet.
func takeOut(out string) string {
	if f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644); err == nil {
		f.Write(precious)
		f.Close()
	}
	return out
}

// TestConcurrentConversionsToOnePath runs conversions of one disk to one path at once: exactly
// one succeeds, the others fail with os.ErrExist, and the output is the disk.
func TestConcurrentConversionsToOnePath(t *testing.T) {
	t.Parallel()
	qemu := needQemuImg(t)
	dir := t.TempDir()
	raw, vmdk := fixture(t, qemu, dir)
	out := filepath.Join(dir, "out.qcow2")
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range errs {
		wg.Go(func() {
			errs[i] = Convert(context.Background(), qemu, Source{Path: vmdk, Format: "vmdk"}, out, Options{Format: FormatQCOW2}, nil)
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, os.ErrExist):
			t.Errorf("conversion %d: %v, want success or os.ErrExist", i, err)
		}
	}
	if won != 1 {
		t.Fatalf("%d conversions succeeded, want exactly 1: %v", won, errs)
	}
	same(t, qemu, raw, out)
	if _, err := os.Stat(out + ".part"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a temporary file was left behind: %v", err)
	}
}
