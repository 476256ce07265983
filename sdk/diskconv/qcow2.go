package diskconv

import (
	"encoding/binary"
	"fmt"
	"maps"
	"os"
	"slices"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
)

// qcow2 layout constants (docs/interop/qcow2.txt in QEMU's tree).
const (
	qcowMagic        = 0x514649fb
	clusterBits      = 16
	clusterSize      = 1 << clusterBits
	l2Entries        = clusterSize / 8
	refcountOrder    = 4 // 16-bit refcounts
	refsPerBlock     = clusterSize * 8 / (1 << refcountOrder)
	qcowHeaderLength = 104
	flagCopied       = 1 << 63 // refcount is exactly one: the cluster may be written in place
	maxVirtualBytes  = 1 << 50
)

// qcow2Writer builds a qcow2 (version 3, 64 KiB clusters) front to back: cluster 0 is left for
// the header, every cluster holding data is appended in the order it arrives, and the tables
// that find them are written after the data at Close, the header last. Until Close has
// returned the file is not a valid image, which is why it is written under a temporary name.
type qcow2Writer struct {
	path  string
	size  int64 // virtual bytes
	data  *diskfile.Writer
	next  int64              // next free host cluster
	l2    map[int64][]uint64 // L1 index -> L2 table (host offsets)
	cur   int64              // virtual cluster being filled, -1 for none
	buf   []byte             // its bytes
	dirty bool               // buf holds non-zero bytes
	last  int64              // highest virtual cluster already left behind, -1 for none
}

func newQcow2Writer(path string, size int64) (*qcow2Writer, error) {
	if size <= 0 || size > maxVirtualBytes {
		return nil, fmt.Errorf("qcow2: virtual size %d out of range", size)
	}
	f, err := diskfile.Create(path)
	if err != nil {
		return nil, err
	}
	w := &qcow2Writer{path: path, size: size, data: f, next: 1, l2: map[int64][]uint64{}, cur: -1,
		buf: diskfile.Buffer(clusterSize), last: -1}
	if _, err := f.Write(w.buf); err != nil { // cluster 0, the header's, written at Close
		f.Abort()
		return nil, err
	}
	return w, nil
}

// WriteAt stores p at virtual offset off. Writes must not go back into a cluster that an
// earlier write already left; a stream's grains arrive in order, so they never do.
func (w *qcow2Writer) WriteAt(p []byte, off int64) error {
	if off < 0 || off+int64(len(p)) > w.size {
		return fmt.Errorf("qcow2: write of %d bytes at %d is outside the %d-byte disk", len(p), off, w.size)
	}
	for len(p) > 0 {
		c := off / clusterSize
		if c != w.cur {
			if err := w.flush(); err != nil {
				return err
			}
			if c <= w.last {
				return fmt.Errorf("qcow2: write at %d goes back to a cluster already written", off)
			}
			w.cur = c
		}
		in := off % clusterSize
		n := copy(w.buf[in:], p)
		if !w.dirty && !allZero(p[:n]) {
			w.dirty = true
		}
		p, off = p[n:], off+int64(n)
	}
	return nil
}

// flush appends the current cluster if it holds data, and maps it.
func (w *qcow2Writer) flush() error {
	if w.cur < 0 {
		return nil
	}
	c := w.cur
	w.last, w.cur = c, -1
	if !w.dirty {
		return nil
	}
	if _, err := w.data.Write(w.buf); err != nil {
		return err
	}
	l1 := c / l2Entries
	if w.l2[l1] == nil {
		w.l2[l1] = make([]uint64, l2Entries)
	}
	w.l2[l1][c%l2Entries] = uint64(w.next*clusterSize) | flagCopied
	w.next++
	clear(w.buf)
	w.dirty = false
	return nil
}

// Close appends the L2 tables, the L1 table, the refcount blocks and table, then writes the
// header into cluster 0 and syncs: after a nil return the file is a complete image.
func (w *qcow2Writer) Close() error {
	if err := w.flush(); err != nil {
		w.data.Abort()
		return err
	}
	if err := w.data.Close(); err != nil {
		return err
	}
	l1Size := (w.size + clusterSize*l2Entries - 1) / (clusterSize * l2Entries)
	l1Clusters := (l1Size*8 + clusterSize - 1) / clusterSize
	tables := slices.Sorted(maps.Keys(w.l2))
	l2Start := w.next
	l1Start := l2Start + int64(len(tables))
	refStart := l1Start + l1Clusters
	// The refcount structures count themselves: grow them until they cover every cluster.
	var blocks, tableClusters int64
	for {
		total := refStart + blocks + tableClusters
		nb := (total + refsPerBlock - 1) / refsPerBlock
		nt := (nb*8 + clusterSize - 1) / clusterSize
		if nb == blocks && nt == tableClusters {
			break
		}
		blocks, tableClusters = nb, nt
	}
	total := refStart + blocks + tableClusters

	meta := make([]byte, (total-l2Start)*clusterSize)
	at := func(cluster int64) []byte { return meta[(cluster-l2Start)*clusterSize:] }
	be := binary.BigEndian
	for i, l1 := range tables {
		for j, e := range w.l2[l1] {
			be.PutUint64(at(l2Start + int64(i))[j*8:], e)
		}
		be.PutUint64(at(l1Start)[l1*8:], uint64((l2Start+int64(i))*clusterSize)|flagCopied)
	}
	for c := int64(0); c < total; c++ {
		be.PutUint16(at(refStart + c/refsPerBlock)[(c%refsPerBlock)*2:], 1)
	}
	for b := int64(0); b < blocks; b++ {
		be.PutUint64(at(refStart + blocks)[b*8:], uint64((refStart+b)*clusterSize))
	}

	f, err := os.OpenFile(w.path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.WriteAt(meta, l2Start*clusterSize); err != nil {
		return fmt.Errorf("qcow2: write tables: %w", err)
	}
	hdr := make([]byte, qcowHeaderLength)
	be.PutUint32(hdr[0:], qcowMagic)
	be.PutUint32(hdr[4:], 3)
	be.PutUint32(hdr[20:], clusterBits)
	be.PutUint64(hdr[24:], uint64(w.size))
	be.PutUint32(hdr[36:], uint32(l1Size))
	be.PutUint64(hdr[40:], uint64(l1Start*clusterSize))
	be.PutUint64(hdr[48:], uint64((refStart+blocks)*clusterSize))
	be.PutUint32(hdr[56:], uint32(tableClusters))
	be.PutUint32(hdr[96:], refcountOrder)
	be.PutUint32(hdr[100:], qcowHeaderLength)
	// One sync covers tables and header: until the caller renames the file it is a .part that
	// nothing reads, so the order they reach the disk in does not matter.
	if _, err := f.WriteAt(hdr, 0); err != nil {
		return fmt.Errorf("qcow2: write header: %w", err)
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// Abort stops writing; the caller removes the file.
func (w *qcow2Writer) Abort() { w.data.Abort() }

func allZero(b []byte) bool {
	for len(b) >= 8 {
		if binary.NativeEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
