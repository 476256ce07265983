package convert

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

// qemuExtents finds every extent line qemu's sscanf would read, however its fields are spaced.
func TestQemuExtentsReadsLinesAsQemuDoes(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("n", 600)
	cases := []struct {
		name, desc string
		want       []string
	}{
		{"plain", "RW 2048 FLAT \"a.img\" 0\n", []string{"a.img"}},
		{"form feeds, vertical tabs, a signed size", "RW\f+16\vFLAT\f\"a\" 0\n", []string{"a"}},
		{"tabs and indentation", "\t RW\t16\tSPARSE\t\"a\"\n", []string{"a"}},
		{"fields on separate lines", "RW\n16\nFLAT\n\"a\" 0\n", []string{"a"}},
		{"blank lines before it, found once", "\n\n \n\t\nRW 16 FLAT \"a\" 0\n", []string{"a"}},
		{"name not closed", "RW 16 VMFS \"a\nddb.adapterType = \"ide\"\n", []string{"a"}},
		{"CRLF", "RW 16 FLAT \"a\" 0\r\nRW 16 FLAT \"b\" 0\r\n", []string{"a", "b"}},
		{"RDONLY and NOACCESS name files too", "RDONLY 16 SPARSE \"a\"\nNOACCESS 16 SPARSE \"b\"\n", []string{"a", "b"}},
		{"a negative size (qemu skips it; refusing costs nothing)", "RW -16 FLAT \"a\" 0\n", []string{"a"}},
		{"a name cut at 511 bytes, as %511[ does", "RW 16 SPARSE \"" + long + "\"\n", []string{long[:511]}},
		{"a ZERO extent names no file", "RW 16 ZERO\n", nil},
		{"an empty name", "RW 16 FLAT \"\" 0\n", nil},
		{"comments and the disk database", "# RW 16 FLAT \"a\" 0\n#RW 16 FLAT \"a\" 0\nddb.x = \"RW 16 FLAT \\\"a\\\"\"\ncreateType=\"monolithicFlat\"\n", nil},
		{"another access word", "RWX 16 FLAT \"a\" 0\nRWRWRWRWRWRW 16 FLAT \"a\" 0\n", nil},
		{"no size", "RW FLAT \"a\" 0\nRW + FLAT \"a\" 0\n", nil},
		{"after a NUL, which ends qemu's C string", "version=1\n\x00RW 16 FLAT \"a\" 0\n", nil},
	}
	for _, c := range cases {
		if got := qemuExtents([]byte(c.desc)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: qemuExtents(%q) = %q, want %q", c.name, c.desc, got, c.want)
		}
	}
	// A megabyte of blank lines is scanned once, not once per line.
	huge := strings.Repeat("\n", qemuDescriptorBytes-30) + "RW 16 FLAT \"a\" 0\n"
	if got := qemuExtents([]byte(huge)); !reflect.DeepEqual(got, []string{"a"}) {
		t.Errorf("after a megabyte of blank lines: %q", got)
	}
}

// A FIFO given as the image itself is refused without being opened for a blocking read: its
// open would wait for a writer forever.
func TestAFIFOIsNotADiskImage(t *testing.T) {
	t.Parallel()
	fifo := filepath.Join(t.TempDir(), "disk.qcow2")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"", "vmdk", FormatQCOW2} {
		err := refuseByHeader(Source{Path: fifo, Format: format})
		if !errors.Is(err, ErrUnsafeImage) || !strings.Contains(err.Error(), "not a disk image") {
			t.Errorf("refuseByHeader(%q as %q) = %v, want ErrUnsafeImage", fifo, format, err)
		}
	}
	if _, _, err := imageFormat(fifo); !errors.Is(err, ErrUnsafeImage) {
		t.Errorf("imageFormat(%q) = %v, want ErrUnsafeImage", fifo, err)
	}
}

// A qemu-img info that never answers is given up on: the inspection fails, its worker is free.
func TestInspectGivesUpOnAQemuImgThatNeverAnswers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stuck := filepath.Join(dir, "qemu-img")
	if err := os.WriteFile(stuck, []byte("#!/bin/sh\nexec sleep 600\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	img := filepath.Join(dir, "disk.raw")
	if err := os.WriteFile(img, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	// The fake never answers, so any bound shows it; the real one is infoTimeout.
	_, err := inspect(context.Background(), stuck, Source{Path: img, Format: FormatRaw}, 100*time.Millisecond)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "no answer within") {
		t.Fatalf("inspect with a qemu-img that never answers = %v, want it given up on", err)
	}
}
