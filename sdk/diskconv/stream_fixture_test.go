package diskconv

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
)

// trueStream encodes raw as VMware writes a stream (what qemu-img does not): grain directory
// "at end", grains with markers, then grain table, directory, footer and end-of-stream markers,
// with the grain size chosen by the test.
func trueStream(raw []byte, grainSectors int) []byte {
	le := binary.LittleEndian
	const gtes = 512
	grain := grainSectors * sector
	header := func(gd uint64) []byte {
		h := make([]byte, sector)
		le.PutUint32(h[0:], vmdkMagic)
		le.PutUint32(h[4:], 3)
		le.PutUint32(h[8:], 1|flagCompressed|flagMarkers)
		le.PutUint64(h[12:], uint64(len(raw)/sector))
		le.PutUint64(h[20:], uint64(grainSectors))
		le.PutUint64(h[28:], 1) // descriptor at sector 1
		le.PutUint64(h[36:], 1)
		le.PutUint32(h[44:], gtes)
		le.PutUint64(h[56:], gd)
		le.PutUint64(h[64:], 2) // overhead: header and descriptor
		copy(h[73:], "\n \r\n")
		le.PutUint16(h[77:], compressDeflate)
		return h
	}
	var out bytes.Buffer
	out.Write(header(gdAtEnd))
	desc := make([]byte, sector)
	copy(desc, fmt.Sprintf("# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType=\"streamOptimized\"\n\nRW %d SPARSE \"test.vmdk\"\n", len(raw)/sector))
	out.Write(desc)
	marker := func(val uint64, size, typ uint32) {
		m := make([]byte, sector)
		le.PutUint64(m[0:], val)
		le.PutUint32(m[8:], size)
		le.PutUint32(m[12:], typ)
		out.Write(m)
	}
	pad := func() { out.Write(make([]byte, (sector-out.Len()%sector)%sector)) }
	grains := (len(raw) + grain - 1) / grain
	gt := make([]uint32, (grains+gtes-1)/gtes*gtes)
	for g := range grains {
		data := raw[g*grain : min((g+1)*grain, len(raw))]
		if allZero(data) {
			continue
		}
		var z bytes.Buffer
		zw := zlib.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		gt[g] = uint32(out.Len() / sector)
		var m [12]byte
		le.PutUint64(m[0:], uint64(g*grainSectors))
		le.PutUint32(m[8:], uint32(z.Len()))
		out.Write(m[:])
		out.Write(z.Bytes())
		pad()
	}
	gd := make([]uint32, len(gt)/gtes)
	for t := range gd {
		marker(gtes*4/sector, 0, markerGT)
		gd[t] = uint32(out.Len() / sector)
		binary.Write(&out, le, gt[t*gtes:(t+1)*gtes])
	}
	marker(uint64((len(gd)*4+sector-1)/sector), 0, markerGD)
	gdAt := uint64(out.Len() / sector)
	binary.Write(&out, le, gd)
	pad()
	marker(1, 0, markerFooter)
	out.Write(header(gdAt))
	marker(0, 0, markerEOS)
	return out.Bytes()
}
