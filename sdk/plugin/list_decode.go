package plugin

import (
	"errors"
	"fmt"
	"unsafe"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// ListVMs answers can be large (10,000 VMs, a few MB), and the generated code decodes them into
// wire messages with a heap allocation per string, which the client then converts again. The
// client therefore takes each page undecoded (listCodec) and decodes it in one pass straight into
// provider.VMs (decodePage): one copy of the page as a string that every decoded string is a
// slice of, and one array per page for the VMs, their disks, NICs, CD-ROMs and tags. Field
// numbers are those of provider.proto's ListVMsResponse, VM, Disk, NIC and CDROM;
// TestDecodePageMatchesGenerated holds the two together.

// listPage is one ListVMsResponse as it came off the wire.
type listPage struct{ raw []byte }

// listCodec sends the request as the proto codec does and receives pages undecoded. Its name
// is "proto", so to the plugin it is an ordinary call.
type listCodec struct{}

var protoCodec = encoding.GetCodecV2("proto")

func (listCodec) Marshal(v any) (mem.BufferSlice, error) { return protoCodec.Marshal(v) }

func (listCodec) Unmarshal(data mem.BufferSlice, v any) error {
	if p, ok := v.(*listPage); ok {
		p.raw = data.Materialize()
		return nil
	}
	return protoCodec.Unmarshal(data, v)
}

func (listCodec) Name() string { return "proto" }

// field is one field of a message: a varint in x, or bytes at src[at:at+n].
type field struct {
	num   protowire.Number
	typ   protowire.Type
	x     uint64
	at, n int
}

// pageDecoder decodes one page. The slices grow by append; each VM takes a capped sub-slice,
// so a caller appending to one VM's disks never writes over the next VM's.
type pageDecoder struct {
	raw    []byte
	src    string // raw as a string: decoded strings are slices of it
	disks  []provider.Disk
	nics   []provider.NIC
	cdroms []provider.CDROM
	tags   []string
}

var errMalformed = errors.New("malformed ListVMs page")

// decodePage decodes a ListVMsResponse into VMs, as vmFromProto would decode its messages. The
// VMs' strings share raw's memory, so nothing may write to raw afterwards: listCodec gives each
// page its own copy, which only this reads.
func decodePage(raw []byte) ([]provider.VM, error) {
	n := 0
	for at := 0; at < len(raw); {
		f, next, err := readField(raw, at, len(raw))
		if err != nil {
			return nil, err
		}
		if f.num == 1 && f.typ == protowire.BytesType {
			n++
		}
		at = next
	}
	if n == 0 {
		return nil, nil
	}
	d := &pageDecoder{raw: raw, src: unsafe.String(unsafe.SliceData(raw), len(raw)), // read-only from here on
		disks: make([]provider.Disk, 0, n), nics: make([]provider.NIC, 0, n), cdroms: make([]provider.CDROM, 0, n), tags: make([]string, 0, n)}
	vms := make([]provider.VM, 0, n)
	for at := 0; at < len(raw); {
		f, next, err := readField(raw, at, len(raw))
		if err != nil {
			return nil, err
		}
		at = next
		if f.num == 1 && f.typ == protowire.BytesType {
			vms = vms[:len(vms)+1] // decoded in place: a VM is too large to copy about
			if err := d.vm(&vms[len(vms)-1], f.at, f.at+f.n); err != nil {
				return nil, fmt.Errorf("VM %d: %w", len(vms)-1, err)
			}
		}
	}
	return vms, nil
}

// readField reads the field at raw[at:end] and returns it and where the next one starts.
func readField(raw []byte, at, end int) (field, int, error) {
	// Every field of a page has a one-byte tag, and most strings are shorter than 128 bytes:
	// those are read here without the general functions' calls.
	if at+1 < end && raw[at] >= 8 && raw[at] < 0x80 && raw[at]&7 == byte(protowire.BytesType) && raw[at+1] < 0x80 {
		n := int(raw[at+1])
		if at+2+n <= end {
			return field{num: protowire.Number(raw[at] >> 3), typ: protowire.BytesType, at: at + 2, n: n}, at + 2 + n, nil
		}
	}
	num, typ, l := protowire.ConsumeTag(raw[at:end])
	if l < 0 {
		return field{}, 0, fmt.Errorf("%w: %v", errMalformed, protowire.ParseError(l))
	}
	f := field{num: num, typ: typ}
	at += l
	var m int
	switch typ {
	case protowire.VarintType:
		f.x, m = protowire.ConsumeVarint(raw[at:end])
	case protowire.BytesType:
		var v []byte
		v, m = protowire.ConsumeBytes(raw[at:end])
		f.at, f.n = at+m-len(v), len(v)
	default:
		m = protowire.ConsumeFieldValue(num, typ, raw[at:end])
	}
	if m < 0 {
		return field{}, 0, fmt.Errorf("%w: field %d: %v", errMalformed, num, protowire.ParseError(m))
	}
	return f, at + m, nil
}

func (d *pageDecoder) str(f field) string { return d.src[f.at : f.at+f.n] }

// vm decodes a VM message (fields 1–14 of provider.proto's VM).
func (d *pageDecoder) vm(vm *provider.VM, at, end int) error {
	disks, nics, cdroms, tags := len(d.disks), len(d.nics), len(d.cdroms), len(d.tags)
	for at < end {
		f, next, err := readField(d.raw, at, end)
		if err != nil {
			return err
		}
		at = next
		if f.typ == protowire.VarintType {
			switch f.num {
			case 7:
				vm.CPUs = int32(f.x)
			case 8:
				vm.MemoryMB = int64(f.x)
			case 10:
				vm.SecureBoot = f.x != 0
			case 15:
				vm.TPM = f.x != 0
			}
			continue
		}
		if f.typ != protowire.BytesType {
			continue
		}
		switch f.num {
		case 1:
			vm.ID = d.str(f)
		case 2:
			vm.Name = d.str(f)
		case 3:
			vm.PowerState = d.str(f)
		case 4:
			vm.Datacenter = d.str(f)
		case 5:
			vm.Folder = d.str(f)
		case 6:
			vm.GuestOS = d.str(f)
		case 9:
			vm.Firmware = d.str(f)
		case 11:
			disk, err := d.disk(f.at, f.at+f.n)
			if err != nil {
				return fmt.Errorf("disk: %w", err)
			}
			d.disks = append(d.disks, disk)
		case 12:
			nic, err := d.nic(f.at, f.at+f.n)
			if err != nil {
				return fmt.Errorf("NIC: %w", err)
			}
			d.nics = append(d.nics, nic)
		case 13:
			cd, err := d.cdrom(f.at, f.at+f.n)
			if err != nil {
				return fmt.Errorf("CD-ROM: %w", err)
			}
			d.cdroms = append(d.cdroms, cd)
		case 14:
			d.tags = append(d.tags, d.str(f))
		}
	}
	vm.Disks = tail(d.disks, disks)
	vm.NICs = tail(d.nics, nics)
	vm.CDROMs = tail(d.cdroms, cdroms)
	vm.Tags = tail(d.tags, tags)
	return nil
}

// tail is s[from:], capped so an append reallocates; nil when empty, as the generated decoder
// leaves a repeated field nobody sent.
func tail[T any](s []T, from int) []T {
	if len(s) == from {
		return nil
	}
	return s[from:len(s):len(s)]
}

func (d *pageDecoder) disk(at, end int) (provider.Disk, error) {
	var disk provider.Disk
	for at < end {
		f, next, err := readField(d.raw, at, end)
		if err != nil {
			return disk, err
		}
		at = next
		switch {
		case f.typ == protowire.VarintType && f.num == 3:
			disk.CapacityBytes = int64(f.x)
		case f.typ == protowire.VarintType && f.num == 6:
			disk.Unit = int32(f.x)
		case f.typ == protowire.VarintType && f.num == 7:
			disk.BootOrder = int32(f.x)
		case f.typ == protowire.VarintType && f.num == 9:
			disk.SectorSize = int32(f.x)
		case f.typ != protowire.BytesType:
		case f.num == 1:
			disk.Key = d.str(f)
		case f.num == 2:
			disk.Label = d.str(f)
		case f.num == 4:
			disk.Controller = d.str(f)
		case f.num == 5:
			disk.ControllerModel = d.str(f)
		case f.num == 8:
			disk.Source = d.str(f)
		case f.num == 10:
			disk.Caching = d.str(f)
		}
	}
	return disk, nil
}

func (d *pageDecoder) nic(at, end int) (provider.NIC, error) {
	var nic provider.NIC
	for at < end {
		f, next, err := readField(d.raw, at, end)
		if err != nil {
			return nic, err
		}
		at = next
		switch {
		case f.typ != protowire.BytesType:
		case f.num == 1:
			nic.Label = d.str(f)
		case f.num == 2:
			nic.MAC = d.str(f)
		case f.num == 3:
			nic.Network = d.str(f)
		case f.num == 4:
			nic.AdapterType = d.str(f)
		}
	}
	return nic, nil
}

func (d *pageDecoder) cdrom(at, end int) (provider.CDROM, error) {
	var cd provider.CDROM
	for at < end {
		f, next, err := readField(d.raw, at, end)
		if err != nil {
			return cd, err
		}
		at = next
		switch {
		case f.typ == protowire.VarintType && f.num == 3:
			cd.Connected = f.x != 0
		case f.typ != protowire.BytesType:
		case f.num == 1:
			cd.Label = d.str(f)
		case f.num == 2:
			cd.ISO = d.str(f)
		}
	}
	return cd, nil
}
