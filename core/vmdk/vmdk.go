// Package vmdk reads VMDK metadata without trusting it: the text descriptor (a descriptor file,
// or the one embedded in a monolithicSparse or streamOptimized disk after its sparse header),
// its extents, CID and parent chain, adapter type, geometry and capacity. Oversized, binary or
// path-escaping input is an error, never a crash; the parser is fuzzed.
package vmdk

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits on what is parsed.
const (
	MaxDescriptorBytes = 1 << 20
	MaxLineBytes       = 4096
	MaxExtents         = 1024
	sectorSize         = 512
	sparseMagic        = 0x564d444b // "KDMV"
)

// ErrInvalid marks input that is not a VMDK descriptor we accept.
var ErrInvalid = errors.New("invalid VMDK")

// Extent is one line of the extent description.
type Extent struct {
	Access  string `json:"access"` // RW, RDONLY, NOACCESS
	Sectors int64  `json:"sectors"`
	Type    string `json:"type"` // SPARSE, FLAT, ZERO, VMFS…
	File    string `json:"file,omitempty"`
	Offset  int64  `json:"offset"`
}

// Geometry is the BIOS geometry from the disk database.
type Geometry struct {
	Cylinders int `json:"cylinders"`
	Heads     int `json:"heads"`
	Sectors   int `json:"sectors"`
}

// SparseHeader is the binary header of a hosted sparse extent.
type SparseHeader struct {
	Version           uint32 `json:"version"`
	Flags             uint32 `json:"flags"`
	CapacitySectors   uint64 `json:"capacity_sectors"`
	GrainSectors      uint64 `json:"grain_sectors"`
	DescriptorOffset  uint64 `json:"descriptor_offset_sectors"`
	DescriptorSectors uint64 `json:"descriptor_sectors"`
	Compression       uint16 `json:"compression"` // 0 none, 1 deflate
}

// Descriptor is a parsed VMDK.
type Descriptor struct {
	Version            int               `json:"version"`
	Encoding           string            `json:"encoding,omitempty"`
	CID                string            `json:"cid"`
	ParentCID          string            `json:"parent_cid"`
	CreateType         string            `json:"create_type"`
	ParentFileNameHint string            `json:"parent_file_name_hint,omitempty"`
	Extents            []Extent          `json:"extents"`
	AdapterType        string            `json:"adapter_type,omitempty"`
	HardwareVersion    string            `json:"hardware_version,omitempty"`
	Geometry           Geometry          `json:"geometry"`
	CapacityBytes      int64             `json:"capacity_bytes"`
	DDB                map[string]string `json:"ddb,omitempty"`
	Embedded           bool              `json:"embedded"`
	Header             *SparseHeader     `json:"sparse_header,omitempty"`
	Parents            []string          `json:"parent_chain,omitempty"`
}

// HasParent reports whether the disk is a delta of another (parentCID is not ffffffff).
func (d Descriptor) HasParent() bool {
	return d.ParentCID != "" && !strings.EqualFold(d.ParentCID, "ffffffff")
}

// ParseHeader reads the sparse header from the first sector of a file, if it has one.
func ParseHeader(sector []byte) (*SparseHeader, bool) {
	if len(sector) < 79 || binary.LittleEndian.Uint32(sector[0:4]) != sparseMagic {
		return nil, false
	}
	le := binary.LittleEndian
	return &SparseHeader{
		Version: le.Uint32(sector[4:8]), Flags: le.Uint32(sector[8:12]),
		CapacitySectors: le.Uint64(sector[12:20]), GrainSectors: le.Uint64(sector[20:28]),
		DescriptorOffset: le.Uint64(sector[28:36]), DescriptorSectors: le.Uint64(sector[36:44]),
		Compression: le.Uint16(sector[77:79]),
	}, true
}

// Parse reads a text descriptor.
func Parse(text []byte) (Descriptor, error) {
	if len(text) > MaxDescriptorBytes {
		return Descriptor{}, fmt.Errorf("%w: descriptor is %d bytes, more than %d", ErrInvalid, len(text), MaxDescriptorBytes)
	}
	text = bytes.TrimRight(text, "\x00") // embedded descriptors are NUL-padded to whole sectors
	if !utf8.Valid(text) || bytes.IndexByte(text, 0) >= 0 {
		return Descriptor{}, fmt.Errorf("%w: descriptor is not text", ErrInvalid)
	}
	d := Descriptor{DDB: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, MaxLineBytes), MaxLineBytes)
	sawHeader := false
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			sawHeader = sawHeader || strings.Contains(line, "Disk DescriptorFile")
			continue
		}
		if ext, ok, err := parseExtent(line); ok {
			if err != nil {
				return Descriptor{}, fmt.Errorf("%w: line %d: %v", ErrInvalid, n, err)
			}
			if len(d.Extents) >= MaxExtents {
				return Descriptor{}, fmt.Errorf("%w: more than %d extents", ErrInvalid, MaxExtents)
			}
			d.Extents = append(d.Extents, ext)
			d.CapacityBytes += ext.Sectors * sectorSize
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			return Descriptor{}, fmt.Errorf("%w: line %d: expected key=value or an extent, got %q", ErrInvalid, n, clip(line))
		}
		key, value = strings.TrimSpace(key), strings.Trim(strings.TrimSpace(value), `"`)
		if err := d.set(key, value); err != nil {
			return Descriptor{}, fmt.Errorf("%w: line %d: %v", ErrInvalid, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return Descriptor{}, fmt.Errorf("%w: %v (lines are limited to %d bytes)", ErrInvalid, err, MaxLineBytes)
	}
	if !sawHeader && d.CreateType == "" {
		return Descriptor{}, fmt.Errorf("%w: no descriptor header and no createType", ErrInvalid)
	}
	if len(d.DDB) == 0 {
		d.DDB = nil
	}
	return d, nil
}

func (d *Descriptor) set(key, value string) error {
	var err error
	switch key {
	case "version":
		d.Version, err = strconv.Atoi(value)
	case "encoding":
		d.Encoding = value
	case "CID":
		d.CID, err = hexID(value)
	case "parentCID":
		d.ParentCID, err = hexID(value)
	case "createType":
		d.CreateType = value
	case "parentFileNameHint":
		if err = checkName(value); err == nil {
			d.ParentFileNameHint = value
		}
	default:
		if !strings.HasPrefix(key, "ddb.") {
			return nil // other header keys (isNativeSnapshot…) carry nothing we use
		}
		d.DDB[key] = value
		switch key {
		case "ddb.adapterType":
			d.AdapterType = value
		case "ddb.virtualHWVersion":
			d.HardwareVersion = value
		case "ddb.geometry.cylinders":
			d.Geometry.Cylinders, err = strconv.Atoi(value)
		case "ddb.geometry.heads":
			d.Geometry.Heads, err = strconv.Atoi(value)
		case "ddb.geometry.sectors":
			d.Geometry.Sectors, err = strconv.Atoi(value)
		}
	}
	if err != nil {
		return fmt.Errorf("%s: %v", key, err)
	}
	return nil
}

// parseExtent reads `RW 4192256 SPARSE "disk-s001.vmdk" 0`; ok is false for other lines.
func parseExtent(line string) (Extent, bool, error) {
	access, rest, _ := strings.Cut(line, " ")
	switch access {
	case "RW", "RDONLY", "NOACCESS":
	default:
		return Extent{}, false, nil
	}
	fields := strings.Fields(rest)
	if len(fields) < 2 {
		return Extent{}, true, fmt.Errorf("extent %q has no type", clip(line))
	}
	sectors, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil || sectors < 0 || sectors > 1<<40 {
		return Extent{}, true, fmt.Errorf("extent size %q is not a sector count", clip(fields[0]))
	}
	ext := Extent{Access: access, Sectors: sectors, Type: fields[1]}
	if ext.Type == "ZERO" {
		return ext, true, nil
	}
	start := strings.IndexByte(rest, '"')
	end := strings.LastIndexByte(rest, '"')
	if start < 0 || end <= start {
		return Extent{}, true, fmt.Errorf("extent %q has no quoted file name", clip(line))
	}
	ext.File = rest[start+1 : end]
	if err := checkName(ext.File); err != nil {
		return Extent{}, true, err
	}
	if tail := strings.Fields(rest[end+1:]); len(tail) > 0 {
		if ext.Offset, err = strconv.ParseInt(tail[0], 10, 64); err != nil || ext.Offset < 0 {
			return Extent{}, true, fmt.Errorf("extent offset %q is not a sector number", clip(tail[0]))
		}
	}
	return ext, true, nil
}

// checkName accepts only file names that stay beside the descriptor.
func checkName(name string) error {
	if name == "" || strings.ContainsAny(name, "/\\\x00") || name == "." || name == ".." || path.IsAbs(name) {
		return fmt.Errorf("file name %q must name a file beside the descriptor", clip(name))
	}
	return nil
}

func hexID(v string) (string, error) {
	if len(v) == 0 || len(v) > 8 {
		return "", fmt.Errorf("%q is not an 8-digit hex id", clip(v))
	}
	if _, err := strconv.ParseUint(v, 16, 32); err != nil {
		return "", fmt.Errorf("%q is not an 8-digit hex id", clip(v))
	}
	return strings.ToLower(v), nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
