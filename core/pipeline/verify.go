package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

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
// Files are hashed in parallel, one per CPU. A converted-disk image is not hashed (providers
// report no checksum for it): the conversion stage has qemu-img check it before it is used.
//
// An artifact with ExtentsKnown is checked against its extents instead (provider.VerifyFileExtents:
// each extent's SHA-256, zeros everywhere else), which reads its data, not its capacity; its
// File has no whole-file SHA-256 then (see hashKeptDisks).
func Verify(dir string, artifacts []provider.Artifact) ([]File, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("export directory: %w", err)
	}
	files := make([]File, len(artifacts))
	errs := make([]error, len(artifacts))
	sem := make(chan struct{}, max(runtime.NumCPU(), 1))
	var wg sync.WaitGroup
	for i, a := range artifacts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			files[i], errs[i] = verifyOne(root, a)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return files, nil
}

func verifyOne(root string, a provider.Artifact) (File, error) {
	path, err := provider.SafeJoin(root, a.Path)
	if err != nil {
		return File{}, fmt.Errorf("artifact %q: %w", a.Path, err)
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return File{}, fmt.Errorf("artifact %q: %w", a.Path, err)
	}
	if rel, err := filepath.Rel(root, real); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return File{}, fmt.Errorf("artifact %q resolves outside the export directory", a.Path)
	}
	st, err := os.Lstat(real)
	if err != nil || !st.Mode().IsRegular() {
		return File{}, fmt.Errorf("artifact %q is not a regular file", a.Path)
	}
	size, sum := st.Size(), ""
	if a.ExtentsKnown {
		if err := provider.VerifyFileExtents(real, a); err != nil {
			return File{}, fmt.Errorf("artifact %q: %w", a.Path, err)
		}
		return File{Path: real, Name: a.Path, Kind: a.Kind, Format: a.Format, Size: a.Size, Disk: a.Disk}, nil
	}
	if a.Kind != provider.KindConvertedDisk || a.SHA256 != "" {
		if sum, size, err = provider.FileSHA256(real); err != nil {
			return File{}, fmt.Errorf("artifact %q: %w", a.Path, err)
		}
	}
	if size != a.Size {
		return File{}, fmt.Errorf("artifact %q is %d bytes, the provider reported %d", a.Path, size, a.Size)
	}
	if a.SHA256 != "" && !strings.EqualFold(sum, a.SHA256) {
		return File{}, fmt.Errorf("artifact %q has sha256 %s, the provider reported %s", a.Path, sum, a.SHA256)
	}
	return File{Path: real, Name: a.Path, Kind: a.Kind, Format: a.Format, Size: size, SHA256: sum, Disk: a.Disk}, nil
}
