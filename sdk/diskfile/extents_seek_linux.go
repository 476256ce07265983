package diskfile

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// dataRegions lists the runs of data the filesystem reports in the first size bytes of f, in
// order. The filesystem may report more than was written (whole blocks, preallocated ranges),
// never less. One that cannot tell reports the whole file.
func dataRegions(f *os.File, size int64) ([]span, error) {
	var out []span
	for off := int64(0); off < size; {
		start, err := f.Seek(off, unix.SEEK_DATA)
		if errors.Is(err, unix.ENXIO) {
			break // only a hole from off to the end
		}
		if errors.Is(err, unix.EINVAL) && off == 0 {
			return []span{{0, size}}, nil // SEEK_DATA unsupported here
		}
		if err != nil {
			return nil, err
		}
		end, err := f.Seek(start, unix.SEEK_HOLE)
		if err != nil {
			return nil, err
		}
		if start >= size {
			break
		}
		end = min(end, size)
		out = append(out, span{start, end})
		off = end
	}
	return out, nil
}
