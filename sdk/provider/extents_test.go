package provider

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
)

// TestVerifyFileExtents checks an artifact's extents against its file in both directions: the
// extents FileExtents found verify, and a changed byte, size or digest does not.
func TestVerifyFileExtents(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "disk.raw")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	const size = 8 << 20
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("data in the middle"), 4<<20); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	extents, err := FileExtents(path)
	if err != nil || len(extents) == 0 {
		t.Fatalf("FileExtents = %v, %v; want the written data", extents, err)
	}
	good := Artifact{Path: "disk.raw", Size: size, Extents: extents, ExtentsKnown: true}
	badDigest := good
	badDigest.Extents = append([]Extent(nil), extents...)
	badDigest.Extents[0].SHA256 = extents[0].SHA256[:63] + "0"
	if badDigest.Extents[0].SHA256 == extents[0].SHA256 {
		badDigest.Extents[0].SHA256 = extents[0].SHA256[:63] + "1"
	}
	badSize := good
	badSize.Size = size + 4096
	unknown := good
	unknown.ExtentsKnown = false
	allZeros := Artifact{Path: "disk.raw", Size: size, ExtentsKnown: true}
	cases := []struct {
		name string
		a    Artifact
		want error // nil when it verifies
	}{
		{"its own extents", good, nil},
		{"a wrong digest", badDigest, diskfile.ErrMismatch},
		{"a wrong size", badSize, diskfile.ErrMismatch},
		{"said to be all zeros", allZeros, diskfile.ErrMismatch},
		{"no extents known", unknown, ErrInvalidArgument},
	}
	for _, c := range cases {
		err := VerifyFileExtents(path, c.a)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: VerifyFileExtents = %v, want %v", c.name, err, c.want)
		}
	}
}
