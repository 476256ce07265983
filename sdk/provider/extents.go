package provider

import (
	"fmt"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
)

// FileExtents lists where a disk file a provider wrote sparsely holds data, each extent with
// its SHA-256 (package diskfile, SEEK_DATA/SEEK_HOLE): what it puts in Artifact.Extents, with
// ExtentsKnown, so the host verifies the disk by reading its data, not its capacity. Write the
// disk sparsely first: seek over runs of zeros (or truncate to the capacity) instead of
// writing them. The list is bounded (see diskfile.DataExtents), so an export result of many
// disks stays well inside one plugin message.
func FileExtents(path string) ([]Extent, error) {
	found, err := diskfile.DataExtents(path)
	if err != nil {
		return nil, err
	}
	out := make([]Extent, len(found))
	for i, e := range found {
		out[i] = Extent(e)
	}
	return out, nil
}

// VerifyFileExtents checks the file at path against what artifact a says of it: a.Size bytes,
// each of a.Extents holding bytes with its SHA-256, zeros everywhere else
// (diskfile.VerifyExtents: it reads the data, not the capacity). It is how the host and the
// conformance suite check a sparse artifact; a must have ExtentsKnown. A mismatch wraps
// diskfile.ErrMismatch.
func VerifyFileExtents(path string, a Artifact) error {
	if !a.ExtentsKnown {
		return fmt.Errorf("%w: artifact %q carries no extents", ErrInvalidArgument, a.Path)
	}
	extents := make([]diskfile.Extent, len(a.Extents))
	for i, e := range a.Extents {
		extents[i] = diskfile.Extent(e)
	}
	return diskfile.VerifyExtents(path, a.Size, extents)
}
