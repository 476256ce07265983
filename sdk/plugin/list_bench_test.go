package plugin

import (
	"context"
	"fmt"
	"testing"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// listedProvider answers ListVMs with a fixed inventory, so a benchmark times the wire alone.
type listedProvider struct {
	provider.UnsupportedPower
	vms []provider.VM
	err error
}

func (listedProvider) Info(context.Context) (provider.Info, error) {
	return provider.Info{Name: "listed"}, nil
}
func (listedProvider) Configure(context.Context, provider.Config) error { return nil }
func (p listedProvider) ListVMs(context.Context, provider.Filter) ([]provider.VM, error) {
	return p.vms, p.err
}
func (listedProvider) GetVM(context.Context, string) (provider.VM, error) {
	return provider.VM{}, provider.ErrNotFound
}
func (listedProvider) ExportVM(context.Context, provider.ExportSpec, provider.Reporter) (provider.ExportResult, error) {
	return provider.ExportResult{}, provider.ErrUnsupported
}

// inventory is n VMs shaped like a vCenter's: one disk, one NIC, one CD-ROM, a tag each.
func inventory(n int) []provider.VM {
	vms := make([]provider.VM, n)
	for i := range vms {
		vm := fullVM
		vm.ID, vm.Name = fmt.Sprintf("vm-%05d", i), fmt.Sprintf("web-%05d", i)
		vm.Disks, vm.Tags = fullVM.Disks[:1], fullVM.Tags[:1]
		vms[i] = vm
	}
	return vms
}

// BenchmarkListVMsWire is the cost of the plugin boundary alone for 10,000 VMs: converting,
// encoding, sending and decoding, over a real gRPC connection inside the test process (so a
// CPU or memory profile sees both sides). BenchmarkListVMs10k in the test provider compares
// the whole call through a plugin process with the in-process one.
func BenchmarkListVMsWire(b *testing.B) {
	p := ConnectInProcess(b, listedProvider{vms: inventory(10000)})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		vms, err := p.ListVMs(ctx, provider.Filter{})
		if err != nil || len(vms) != 10000 {
			b.Fatal(len(vms), err)
		}
	}
}
