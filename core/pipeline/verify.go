package pipeline

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// File is a file of an export as the daemon has checked it.
type File struct {
	Path   string // absolute
	Name   string // relative to the export directory
	Kind   string
	Format string
	Size   int64
	SHA256 string
	Disk   int
}

// Verify checks every artifact a provider reported: the path stays inside dir (symlinks
// resolved), the file is a regular file of the reported size, and its SHA-256 matches. The
// plugin is another process, possibly a third party's: nothing it says is taken on trust.
func Verify(dir string, artifacts []provider.Artifact) ([]File, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("export directory: %w", err)
	}
	files := make([]File, 0, len(artifacts))
	for _, a := range artifacts {
		path, err := provider.SafeJoin(root, a.Path)
		if err != nil {
			return nil, fmt.Errorf("artifact %q: %w", a.Path, err)
		}
		real, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, fmt.Errorf("artifact %q: %w", a.Path, err)
		}
		if rel, err := filepath.Rel(root, real); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return nil, fmt.Errorf("artifact %q resolves outside the export directory", a.Path)
		}
		st, err := os.Lstat(real)
		if err != nil || !st.Mode().IsRegular() {
			return nil, fmt.Errorf("artifact %q is not a regular file", a.Path)
		}
		sum, size, err := provider.FileSHA256(real)
		if err != nil {
			return nil, fmt.Errorf("artifact %q: %w", a.Path, err)
		}
		if size != a.Size {
			return nil, fmt.Errorf("artifact %q is %d bytes, the provider reported %d", a.Path, size, a.Size)
		}
		if a.SHA256 != "" && !strings.EqualFold(sum, a.SHA256) {
			return nil, fmt.Errorf("artifact %q has sha256 %s, the provider reported %s", a.Path, sum, a.SHA256)
		}
		files = append(files, File{Path: real, Name: a.Path, Kind: a.Kind, Format: a.Format, Size: size, SHA256: sum, Disk: a.Disk})
	}
	return files, nil
}
