// Package diskfile writes the large files of an export — downloaded disks, converted images —
// sequentially and durably without copying every byte through the page cache.
//
// On this project's machines a buffered write costs about 3 ms of CPU per MB before the fsync
// even starts, which on two cores is as much as the download and the checksum together. A
// Writer opens its file with O_DIRECT where the filesystem allows it, writes whole aligned
// blocks straight from the caller's buffer (or from its own aligned staging buffer), pads the
// last block and trims the file back to its real length on Close, so what Close returns after
// is on disk. Where O_DIRECT is refused (tmpfs, some network filesystems, other systems) it is
// an ordinary buffered file with an fsync at the end: the same contract, just slower.
//
//	w, err := diskfile.Create(path + ".part")
//	buf := diskfile.Get(8 << 20)      // aligned, pooled: written without a copy
//	defer diskfile.Put(buf)
//	n, _ := io.ReadFull(body, buf)
//	w.Write(buf[:n])
//	err = w.Close()                   // data and size durable
package diskfile
