package convert

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestAdoptChecksBeforeItMoves(t *testing.T) {
	t.Parallel()
	qemu := needQemuImg(t)
	tests := []struct {
		name    string
		format  string // of the image made
		mangle  func(path string)
		claim   string // format Adopt is told
		size    int64  // virtual size Adopt is told
		wantErr string
	}{
		{"good qcow2", FormatQCOW2, nil, FormatQCOW2, 32 << 20, ""},
		{"good raw", FormatRaw, nil, FormatRaw, 32 << 20, ""},
		{"wrong virtual size", FormatQCOW2, nil, FormatQCOW2, 64 << 20, "want a 67108864-byte qcow2"},
		{"raw claimed as qcow2", FormatRaw, nil, FormatQCOW2, 32 << 20, "raw image"},
		{"qcow2 with a broken refcount", FormatQCOW2, func(p string) {
			f, _ := os.OpenFile(p, os.O_RDWR, 0)
			defer f.Close()
			f.WriteAt([]byte{0, 0, 0, 0, 0, 0, 0, 0}, 48) // refcount table offset
		}, FormatQCOW2, 32 << 20, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			raw, _ := fixture(t, qemu, dir)
			img := filepath.Join(dir, "img."+tt.format)
			if out, err := exec.Command(qemu, "convert", "-O", tt.format, raw, img).CombinedOutput(); err != nil {
				t.Fatalf("%v %s", err, out)
			}
			if tt.mangle != nil {
				tt.mangle(img)
				tt.wantErr = "qemu-img"
			}
			out := filepath.Join(dir, "out")
			err := Adopt(context.Background(), qemu, img, tt.claim, tt.size, out)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				same(t, qemu, raw, out)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Adopt = %v, want an error containing %q", err, tt.wantErr)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Error("a refused image was moved into place")
			}
			if _, err := os.Stat(img); err != nil {
				t.Error("a refused image was not left where it was")
			}
		})
	}
}
