package provider

import "github.com/hypersdk/hypersdk/sdk/diskfile"

// FileExtents lists where a disk file a provider wrote sparsely holds data, each extent with
// its SHA-256 (package diskfile, SEEK_DATA/SEEK_HOLE): what it puts in Artifact.Extents, with
// ExtentsKnown, so the host verifies the disk by reading its data, not its capacity. Write the
// disk sparsely first: seek over runs of zeros (or truncate to the capacity) instead of
// writing them.
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
