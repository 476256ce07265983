package plugin

import (
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/hypersdk/hypersdk/sdk/internal/providerpb"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// pageEncoder writes ListVMs pages in provider.proto's encoding straight from provider.VMs,
// the twin of pageDecoder: no wire message per VM, disk or NIC, and no reflection. Its bytes
// are what the generated code would write (fields in number order, zero values left out;
// TestEncodePageMatchesGenerated checks it), except that strings are sent as the provider gave
// them, without UTF-8 validation: one VM named in Latin-1 no longer fails the whole list.
type pageEncoder struct {
	page     []byte // the page being built: reused once the last one was sent
	vm, item []byte // scratch for a VM's and a disk's (NIC's, CD-ROM's) fields
}

// encode returns a ListVMsResponse holding vms, valid until the next call (gRPC's Send has
// copied it by then). The encoded VMs ride in the message's unknown fields, which marshalling
// copies as they are: on the wire it is an ordinary page.
func (e *pageEncoder) encode(vms []provider.VM) *pb.ListVMsResponse {
	b := e.page[:0]
	for i := range vms {
		e.encodeVM(&vms[i])
		b = protowire.AppendTag(b, 1, protowire.BytesType)
		b = protowire.AppendBytes(b, e.vm)
	}
	e.page = b
	msg := &pb.ListVMsResponse{}
	msg.ProtoReflect().SetUnknown(protoreflect.RawFields(b))
	return msg
}

func appendString(b []byte, num protowire.Number, s string) []byte {
	switch {
	case s == "":
		return b
	case len(s) < 0x80: // every field number here is below 16: a one-byte tag and length
		b = append(b, byte(num)<<3|byte(protowire.BytesType), byte(len(s)))
		return append(b, s...)
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendBool(b []byte, num protowire.Number, v bool) []byte {
	return appendVarint(b, num, protowire.EncodeBool(v))
}

// appendItem appends e.item as embedded message num.
func (e *pageEncoder) appendItem(b []byte, num protowire.Number) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, e.item)
}

// encodeVM leaves v's encoding in e.vm.
func (e *pageEncoder) encodeVM(v *provider.VM) {
	b := e.vm[:0]
	b = appendString(b, 1, v.ID)
	b = appendString(b, 2, v.Name)
	b = appendString(b, 3, v.PowerState)
	b = appendString(b, 4, v.Datacenter)
	b = appendString(b, 5, v.Folder)
	b = appendString(b, 6, v.GuestOS)
	b = appendVarint(b, 7, uint64(v.CPUs)) // int32: negative numbers sign-extended, as protobuf does
	b = appendVarint(b, 8, uint64(v.MemoryMB))
	b = appendString(b, 9, v.Firmware)
	b = appendBool(b, 10, v.SecureBoot)
	for i := range v.Disks {
		d := &v.Disks[i]
		e.item = appendString(e.item[:0], 1, d.Key)
		e.item = appendString(e.item, 2, d.Label)
		e.item = appendVarint(e.item, 3, uint64(d.CapacityBytes))
		e.item = appendString(e.item, 4, d.Controller)
		e.item = appendString(e.item, 5, d.ControllerModel)
		e.item = appendVarint(e.item, 6, uint64(d.Unit))
		e.item = appendVarint(e.item, 7, uint64(d.BootOrder))
		e.item = appendString(e.item, 8, d.Source)
		e.item = appendVarint(e.item, 9, uint64(d.SectorSize))
		e.item = appendString(e.item, 10, d.Caching)
		b = e.appendItem(b, 11)
	}
	for i := range v.NICs {
		n := &v.NICs[i]
		e.item = appendString(e.item[:0], 1, n.Label)
		e.item = appendString(e.item, 2, n.MAC)
		e.item = appendString(e.item, 3, n.Network)
		e.item = appendString(e.item, 4, n.AdapterType)
		b = e.appendItem(b, 12)
	}
	for i := range v.CDROMs {
		c := &v.CDROMs[i]
		e.item = appendString(e.item[:0], 1, c.Label)
		e.item = appendString(e.item, 2, c.ISO)
		e.item = appendBool(e.item, 3, c.Connected)
		b = e.appendItem(b, 13)
	}
	for _, t := range v.Tags {
		if t == "" { // a repeated field keeps its empty strings
			b = append(b, 14<<3|byte(protowire.BytesType), 0)
			continue
		}
		b = appendString(b, 14, t)
	}
	b = appendBool(b, 15, v.TPM)
	e.vm = b
}
