package diskfile

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

func TestWriterWritesExactlyWhatItWasGiven(t *testing.T) {
	t.Parallel()
	dirs := map[string]string{"disk": t.TempDir()}
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		dirs["tmpfs"] = t.TempDir() // replaced below when /dev/shm is writable
		if d, err := os.MkdirTemp("/dev/shm", "diskfile-"); err == nil {
			t.Cleanup(func() { os.RemoveAll(d) })
			dirs["tmpfs"] = d
		}
	}
	tests := []struct {
		name    string
		writes  []int // sizes of successive writes
		aligned bool  // writes come from Buffer
	}{
		{"empty file", nil, true},
		{"one aligned block", []int{Align}, true},
		{"aligned chunks with a short tail", []int{1 << 20, 1 << 20, 1234}, true},
		{"unaligned sizes from aligned buffers", []int{5000, 4096, 3, 8 << 20, 77}, true},
		{"unaligned buffers", []int{1, 4095, 4097, 1 << 20, 10}, false},
		{"more than the staging buffer at once", []int{staging + 513, staging * 2}, false},
		{"tail shorter than a block", []int{100}, true},
	}
	for where, dir := range dirs {
		for i, tt := range tests {
			t.Run(where+"/"+tt.name, func(t *testing.T) {
				path := filepath.Join(dir, "f"+string(rune('a'+i)))
				w, err := Create(path)
				if err != nil {
					t.Fatal(err)
				}
				var want bytes.Buffer
				rng := rand.New(rand.NewPCG(uint64(i), 7))
				for _, n := range tt.writes {
					var p []byte
					if tt.aligned {
						p = Buffer(n)
					} else {
						p = make([]byte, n+1)[1:]
					}
					for j := range p {
						p[j] = byte(rng.Uint32())
					}
					if got, err := w.Write(p); err != nil || got != n {
						t.Fatalf("Write(%d) = %d, %v", n, got, err)
					}
					want.Write(p)
				}
				if w.Size() != int64(want.Len()) {
					t.Fatalf("Size() = %d, want %d", w.Size(), want.Len())
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want.Bytes()) {
					t.Fatalf("file has %d bytes, differing from the %d written", len(got), want.Len())
				}
			})
		}
	}
}

func TestWriterResetStartsOver(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "f")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bytes.Repeat([]byte{1}, 3*Align+5))
	if err := w.Reset(); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("again"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "again" {
		t.Fatalf("file = %q, want %q", got, "again")
	}
}

func TestBuffersAreAlignedAndReused(t *testing.T) {
	for _, n := range []int{1, Align, 3*Align + 1, 1 << 20, 10 << 20} {
		if b := Buffer(n); len(b) != n || !aligned(b) {
			t.Errorf("Buffer(%d): len %d, aligned %v", n, len(b), aligned(b))
		}
		b := Get(n)
		if len(b) != n || !aligned(b) || cap(b) != sizeClass(n) {
			t.Errorf("Get(%d): len %d cap %d, aligned %v", n, len(b), cap(b), aligned(b))
		}
		b[n-1] = 7
		Put(b)
		if again := Get(n); &again[0] != &b[0] {
			t.Errorf("Get(%d) after Put did not reuse the buffer", n)
		} else {
			Put(again)
		}
	}
	Put(make([]byte, 100)) // not from Get: ignored
}
