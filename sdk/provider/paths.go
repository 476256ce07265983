package provider

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
)

// SafeJoin joins name onto dir and refuses any result outside dir ("..", absolute names).
// Providers use it for every file they create in ExportSpec.Dir.
func SafeJoin(dir, name string) (string, error) {
	if name == "" || filepath.IsAbs(name) {
		return "", fmt.Errorf("%w: path %q must be relative to the export directory", ErrInvalidArgument, name)
	}
	p := filepath.Join(dir, name)
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || rel == "." {
		return "", fmt.Errorf("%w: path %q leaves the export directory", ErrInvalidArgument, name)
	}
	return p, nil
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// FileSHA256 hashes a file and returns the hex SHA-256 and the byte count: what a provider puts
// in Artifact.SHA256 and Artifact.Size, and what the host checks them against.
func FileSHA256(path string) (sum string, size int64, err error) {
	return diskfile.SHA256(path)
}
