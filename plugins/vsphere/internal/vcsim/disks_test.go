package vcsim

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestWriteRawImageDensityAndSeed(t *testing.T) {
	const size = 4<<20 + 100<<10 // four whole MiB and a partial one
	cases := []struct {
		name       string
		dataPerMiB int64
	}{
		{"sparse default", 64 << 10},
		{"dense", 768 << 10},
		{"full", 1 << 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name, vm string, disk int) []byte {
				p := filepath.Join(dir, name)
				if err := writeRawImage(p, size, c.dataPerMiB, vm, disk); err != nil {
					t.Fatal(err)
				}
				raw, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				return raw
			}
			a := write("a", "vm", 0)
			if len(a) != size {
				t.Fatalf("image is %d bytes, want %d", len(a), size)
			}
			for off := 0; off < size; off += 1 << 20 {
				end := min(off+1<<20, size)
				data := min(off+int(c.dataPerMiB), end)
				if n := bytes.Count(a[off:data], []byte{0}); n > (data-off)/64 {
					t.Errorf("MiB at %d: %d zero bytes among its %d bytes of random data", off, n, data-off)
				}
				if !allZero(a[data:end]) {
					t.Errorf("MiB at %d: bytes after its %d of data are not zero", off, c.dataPerMiB)
				}
			}
			if !bytes.Equal(a, write("again", "vm", 0)) {
				t.Error("the same VM and disk gave different content")
			}
			if bytes.Equal(a, write("disk1", "vm", 1)) || bytes.Equal(a, write("other", "vm2", 0)) {
				t.Error("another disk or VM has the same content")
			}
		})
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
