package diskfile

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

func TestSHA256MatchesTheContent(t *testing.T) {
	t.Parallel()
	for _, size := range []int{0, 1, Align - 1, Align, readChunk, readChunk + 1, 2*readChunk + 12345} {
		content := make([]byte, size)
		for i := range content {
			content[i] = byte(i*13 + i>>12)
		}
		path := filepath.Join(t.TempDir(), "f")
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		want := sha256.Sum256(content)
		sum, n, err := SHA256(path)
		if err != nil || sum != hex.EncodeToString(want[:]) || n != int64(size) {
			t.Errorf("SHA256 of %d bytes = %s, %d, %v; want %x", size, sum, n, err, want)
		}
	}
	if _, _, err := SHA256(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("SHA256 of a missing file did not fail")
	}
}
