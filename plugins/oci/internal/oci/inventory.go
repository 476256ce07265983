package oci

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/oracle/oci-go-sdk/v65/core"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// listPageSize is ListInstances' limit per page.
const listPageSize = 100

var _ provider.VMPager = (*Provider)(nil)

// ListVMs lists the instances of the compartments in scope matching f.
func (p *Provider) ListVMs(ctx context.Context, f provider.Filter) ([]provider.VM, error) {
	return provider.CollectVMPages(ctx, p, f)
}

// ListVMPages walks ListInstances of each compartment page by page (opc-next-page), one page
// of VMs per page of the API. A listed VM has its shape, firmware and tags; its disks and
// NICs take four more calls per instance and come with GetVM.
func (p *Provider) ListVMPages(ctx context.Context, f provider.Filter, page func([]provider.VM) error) error {
	if err := f.Validate(); err != nil {
		return err
	}
	c, s, _, err := p.configured()
	if err != nil {
		return err
	}
	comps, err := compartments(ctx, c, s)
	if err != nil {
		return err
	}
	for _, cp := range comps {
		if f.Folder != "" && f.Folder != cp.id && f.Folder != cp.name {
			continue
		}
		req := core.ListInstancesRequest{CompartmentId: &cp.id, Limit: ptr(listPageSize)}
		for {
			resp, err := c.compute.ListInstances(ctx, req)
			if err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("list instances of %s: %w", cp.id, ctx.Err())
				}
				return apiError(err, "list instances of compartment %s", cp.id)
			}
			var vms []provider.VM
			for _, inst := range resp.Items {
				if gone(inst.LifecycleState) {
					continue
				}
				if vm := instanceVM(inst, s.Region); matches(vm, s.Region, f) {
					vms = append(vms, vm)
				}
			}
			if len(vms) > 0 {
				if err := page(vms); err != nil {
					return err
				}
			}
			if resp.OpcNextPage == nil {
				break
			}
			req.Page = resp.OpcNextPage
		}
	}
	return nil
}

// gone says an instance is terminated or on its way: OCI lists those for a while.
func gone(st core.InstanceLifecycleStateEnum) bool {
	return st == core.InstanceLifecycleStateTerminated || st == core.InstanceLifecycleStateTerminating
}

func matches(vm provider.VM, region string, f provider.Filter) bool {
	if f.Datacenter != "" && f.Datacenter != vm.Datacenter && f.Datacenter != region && !strings.HasSuffix(vm.Datacenter, ":"+f.Datacenter) {
		return false
	}
	if f.PowerState != "" && f.PowerState != vm.PowerState {
		return false
	}
	if f.NamePattern != "" {
		if ok, _ := path.Match(f.NamePattern, vm.Name); !ok {
			return false
		}
	}
	return provider.MatchTags(vm.Tags, f.Tags)
}

// GetVM reads one instance with its boot volume, block volumes and VNICs; its id is the
// instance OCID.
func (p *Provider) GetVM(ctx context.Context, id string) (provider.VM, error) {
	d, err := p.getInstance(ctx, id)
	return d.vm, err
}

// instanceVM is the VM an instance is, without disks and NICs: the datacenter is its
// availability domain (Uocm:US-ASHBURN-AD-1; "US-ASHBURN-AD-1" or the region match it in a
// filter), the folder its compartment, freeform tags key=value and defined tags
// namespace.key=value.
func instanceVM(inst core.Instance, region string) provider.VM {
	vm := provider.VM{
		ID: deref(inst.Id), Name: deref(inst.DisplayName), Datacenter: deref(inst.AvailabilityDomain), Folder: deref(inst.CompartmentId),
		PowerState: powerState(inst.LifecycleState), Firmware: provider.FirmwareBIOS,
		Disks: []provider.Disk{}, NICs: []provider.NIC{}, CDROMs: []provider.CDROM{}, Tags: []string{},
	}
	if sc := inst.ShapeConfig; sc != nil {
		switch {
		case sc.Vcpus != nil:
			vm.CPUs = int32(*sc.Vcpus)
		case sc.Ocpus != nil:
			vm.CPUs = int32(*sc.Ocpus * 2) // an x86 OCPU is two hardware threads
		}
		if sc.MemoryInGBs != nil {
			vm.MemoryMB = int64(*sc.MemoryInGBs * 1024)
		}
	}
	if lo := inst.LaunchOptions; lo != nil && lo.Firmware == core.LaunchOptionsFirmwareUefi64 {
		vm.Firmware = provider.FirmwareEFI
	}
	if pc := inst.PlatformConfig; pc != nil && deref(pc.GetIsSecureBootEnabled()) {
		vm.Firmware, vm.SecureBoot = provider.FirmwareEFI, true
	}
	for k, v := range inst.FreeformTags {
		vm.Tags = append(vm.Tags, k+"="+v)
	}
	for ns, kv := range inst.DefinedTags {
		for k, v := range kv {
			vm.Tags = append(vm.Tags, fmt.Sprintf("%s.%s=%v", ns, k, v))
		}
	}
	sort.Strings(vm.Tags)
	return vm
}

// powerState maps a lifecycle state to the contract's: an instance on its way up counts as
// off until it runs, one on its way down as on until it stopped.
func powerState(st core.InstanceLifecycleStateEnum) string {
	switch st {
	case core.InstanceLifecycleStateRunning, core.InstanceLifecycleStateStopping:
		return provider.PowerOn
	}
	return provider.PowerOff // PROVISIONING, STARTING, STOPPED, CREATING_IMAGE, MOVING…
}
