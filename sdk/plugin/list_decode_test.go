package plugin

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/hypersdk/hypersdk/sdk/internal/providerpb"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// oddVM has what a hand-written decoder gets wrong: negative and large numbers, several
// disks, text that is not ASCII, an empty string between others.
var oddVM = provider.VM{
	ID: "vm-ü", Name: "名前", PowerState: provider.PowerOff, CPUs: -1, MemoryMB: 1 << 40,
	Disks: []provider.Disk{{Key: "a", Unit: -3, BootOrder: 2, CapacityBytes: -1}, {}, {Key: "c", Source: "[ds] x.vmdk"}},
	Tags:  []string{"", "k=v", "x"},
}

// The hand decoder and the generated one agree on every field of every message a page holds.
func TestDecodePageMatchesGenerated(t *testing.T) {
	t.Parallel()
	// A field added to provider.proto must be set in fullVM or oddVM, so this test covers it.
	full, odd := vmToProto(fullVM), vmToProto(oddVM)
	for _, ms := range [][]proto.Message{{full, odd}, {full.Disks[0], full.Disks[1], odd.Disks[0]}, {full.Nics[0]}, {full.Cdroms[0]}} {
		fields := ms[0].ProtoReflect().Descriptor().Fields()
		for i := range fields.Len() {
			set := false
			for _, m := range ms {
				set = set || m.ProtoReflect().Has(fields.Get(i))
			}
			if !set {
				t.Errorf("fullVM and oddVM leave %s unset: set it, and decode it in list_decode.go", fields.Get(i).FullName())
			}
		}
	}
	cases := []struct {
		name string
		vms  []provider.VM
	}{
		{"no VMs", nil},
		{"a full VM", []provider.VM{fullVM}},
		{"an empty VM", []provider.VM{{}}},
		{"odd values", []provider.VM{oddVM, fullVM, {}, oddVM}},
	}
	for _, c := range cases {
		page := &pb.ListVMsResponse{}
		for _, vm := range c.vms {
			page.Vms = append(page.Vms, vmToProto(vm))
		}
		raw, err := proto.Marshal(page)
		if err != nil {
			t.Fatal(err)
		}
		var generated []provider.VM
		for _, v := range page.Vms {
			generated = append(generated, vmFromProto(v))
		}
		got, err := decodePage(raw)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !reflect.DeepEqual(got, generated) || !reflect.DeepEqual(got, c.vms) && len(c.vms) > 0 {
			t.Errorf("%s: decoded\n%+v\nwant\n%+v", c.name, got, generated)
		}
	}
}

// Fields the decoder does not know (a newer plugin's) are skipped, as the generated decoder does.
func TestDecodePageSkipsUnknownFields(t *testing.T) {
	t.Parallel()
	v := vmToProto(fullVM)
	var unknown []byte
	unknown = protowire.AppendTag(unknown, 99, protowire.BytesType)
	unknown = protowire.AppendString(unknown, "from the future")
	unknown = protowire.AppendTag(unknown, 98, protowire.Fixed64Type)
	unknown = protowire.AppendFixed64(unknown, 7)
	v.ProtoReflect().SetUnknown(protoreflect.RawFields(unknown))
	v.Disks[0].ProtoReflect().SetUnknown(protoreflect.RawFields(unknown))
	raw, err := proto.Marshal(&pb.ListVMsResponse{Vms: []*pb.VM{v}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodePage(raw)
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[0], fullVM) {
		t.Fatalf("decodePage = %+v, %v; want fullVM", got, err)
	}
}

func TestDecodePageRefusesMalformedPages(t *testing.T) {
	t.Parallel()
	raw, err := proto.Marshal(&pb.ListVMsResponse{Vms: []*pb.VM{vmToProto(fullVM)}})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{raw[:len(raw)-1], raw[:3], {0x0a, 0x05, 0x0a}, {0x80}} {
		if _, err := decodePage(bad); !errors.Is(err, errMalformed) {
			t.Errorf("decodePage(% x…) = %v, want a malformed page", bad[:min(len(bad), 4)], err)
		}
	}
}

// Decoded VMs share a page's arrays: appending to one VM's slices must not reach the next VM.
func TestDecodedVMsDoNotShareGrowth(t *testing.T) {
	t.Parallel()
	raw, err := proto.Marshal(&pb.ListVMsResponse{Vms: []*pb.VM{vmToProto(fullVM), vmToProto(oddVM)}})
	if err != nil {
		t.Fatal(err)
	}
	vms, err := decodePage(raw)
	if err != nil {
		t.Fatal(err)
	}
	_ = append(vms[0].Disks, provider.Disk{Key: "new"})
	_ = append(vms[0].Tags, "new")
	if !reflect.DeepEqual(vms[1], oddVM) {
		t.Errorf("appending to VM 0 changed VM 1: %+v", vms[1])
	}
}

// Through a real gRPC connection: pages of every size arrive whole and in order, and a
// provider's error crosses as its sentinel.
func TestListVMsAcrossTheWire(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, listBatch, listBatch + 1, 3*listBatch - 7} {
		want := inventory(n)
		got, err := ConnectInProcess(t, listedProvider{vms: want}).ListVMs(context.Background(), provider.Filter{})
		if err != nil {
			t.Fatalf("%d VMs: %v", n, err)
		}
		if len(got) != n || n > 0 && !reflect.DeepEqual(got, want) {
			t.Errorf("%d VMs: got %d, not the VMs listed", n, len(got))
		}
	}
	_, err := ConnectInProcess(t, listedProvider{err: provider.ErrAuth}).ListVMs(context.Background(), provider.Filter{})
	if !errors.Is(err, provider.ErrAuth) {
		t.Errorf("ListVMs of a provider refusing credentials = %v, want ErrAuth", err)
	}
}

// The hand encoder writes the bytes the generated code writes, for every field.
func TestEncodePageMatchesGenerated(t *testing.T) {
	t.Parallel()
	var enc pageEncoder
	for _, vms := range [][]provider.VM{nil, {{}}, {fullVM}, {oddVM, fullVM, {}, oddVM}, {fullVM}} { // the last reuses the buffers
		page := &pb.ListVMsResponse{}
		for _, vm := range vms {
			page.Vms = append(page.Vms, vmToProto(vm))
		}
		want, err := proto.Marshal(page)
		if err != nil {
			t.Fatal(err)
		}
		got, err := proto.Marshal(enc.encode(vms))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%d VMs: encoded\n% x\nwant\n% x", len(vms), got, want)
		}
	}
}
