package gcp

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"
	"google.golang.org/api/iterator"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// listPageSize is the aggregated list's maxResults: the API's own limit is 500.
const listPageSize = 500

var _ provider.VMPager = (*Provider)(nil)

// ListVMs lists the project's instances in the configured zones matching f.
func (p *Provider) ListVMs(ctx context.Context, f provider.Filter) ([]provider.VM, error) {
	return provider.CollectVMPages(ctx, p, f)
}

// ListVMPages walks instances.aggregatedList page by page (pageToken), one page of VMs per
// page of the API.
func (p *Provider) ListVMPages(ctx context.Context, f provider.Filter, page func([]provider.VM) error) error {
	if err := f.Validate(); err != nil {
		return err
	}
	c, s, err := p.configured()
	if err != nil {
		return err
	}
	types := newMachineTypes(c, s.Project)
	it := c.instances.AggregatedList(ctx, &computepb.AggregatedListInstancesRequest{Project: s.Project, MaxResults: ptr(uint32(listPageSize))})
	var vms []provider.VM
	flush := func() error {
		if len(vms) == 0 {
			return nil
		}
		err := page(vms)
		vms = vms[:0]
		return err
	}
	for {
		pair, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return flush()
		}
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("list instances of %s: %w", s.Project, ctx.Err())
			}
			return apiError(err, "list instances of project %s", s.Project)
		}
		zone := path.Base(pair.Key) // "zones/us-central1-a"
		if strings.HasPrefix(pair.Key, "zones/") && s.inScope(zone) {
			for _, inst := range pair.Value.GetInstances() {
				vm, err := instanceVM(ctx, types, zone, inst)
				if err != nil {
					return err
				}
				if matches(vm, zone, f) {
					vms = append(vms, vm)
				}
			}
		}
		// The last item of an API page: the VMs of that page go to the host while the
		// iterator fetches the next.
		if it.PageInfo().Remaining() == 0 {
			if err := flush(); err != nil {
				return err
			}
		}
	}
}

func matches(vm provider.VM, zone string, f provider.Filter) bool {
	if f.Datacenter != "" && f.Datacenter != zone && f.Datacenter != regionOf(zone) {
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

// GetVM reads one instance; its id is zone/name.
func (p *Provider) GetVM(ctx context.Context, id string) (provider.VM, error) {
	vm, _, err := p.getInstance(ctx, id)
	return vm, err
}

func (p *Provider) getInstance(ctx context.Context, id string) (provider.VM, *computepb.Instance, error) {
	c, s, err := p.configured()
	if err != nil {
		return provider.VM{}, nil, err
	}
	zone, name, err := splitID(id)
	if err != nil {
		return provider.VM{}, nil, err
	}
	inst, err := c.instances.Get(ctx, &computepb.GetInstanceRequest{Project: s.Project, Zone: zone, Instance: name})
	if err != nil {
		return provider.VM{}, nil, apiError(err, "read instance %s of project %s", id, s.Project)
	}
	vm, err := instanceVM(ctx, newMachineTypes(c, s.Project), zone, inst)
	return vm, inst, err
}

// splitID splits a VM id, zone/name. Anything else names no instance.
func splitID(id string) (zone, name string, err error) {
	zone, name, ok := strings.Cut(id, "/")
	if !ok || zone == "" || name == "" || strings.Contains(name, "/") {
		return "", "", fmt.Errorf("%w: %q is not a GCP VM id (zone/instance-name)", provider.ErrNotFound, id)
	}
	return zone, name, nil
}

// instanceVM is the VM an instance is: boot disk first, labels as key=value tags.
func instanceVM(ctx context.Context, types *machineTypes, zone string, inst *computepb.Instance) (provider.VM, error) {
	sh, err := types.get(ctx, zone, inst.GetMachineType())
	if err != nil {
		return provider.VM{}, err
	}
	vm := provider.VM{
		ID: zone + "/" + inst.GetName(), Name: inst.GetName(), Datacenter: zone,
		PowerState: powerState(inst.GetStatus()), CPUs: sh.cpus, MemoryMB: sh.memoryMB,
		Firmware: provider.FirmwareBIOS, Disks: []provider.Disk{}, NICs: []provider.NIC{}, CDROMs: []provider.CDROM{}, Tags: []string{},
	}
	if sc := inst.GetShieldedInstanceConfig(); sc != nil && (sc.GetEnableSecureBoot() || sc.GetEnableVtpm() || sc.GetEnableIntegrityMonitoring()) {
		vm.Firmware = provider.FirmwareEFI // Shielded VM boots UEFI
		vm.SecureBoot = sc.GetEnableSecureBoot()
	}
	for _, d := range exportableDisks(inst) {
		if d.GetBoot() {
			if lic := d.GetLicenses(); len(lic) > 0 {
				vm.GuestOS = path.Base(lic[0]) // debian-12-bookworm, windows-server-2022-dc
			}
			for _, feat := range d.GetGuestOsFeatures() {
				if feat.GetType() == "UEFI_COMPATIBLE" {
					vm.Firmware = provider.FirmwareEFI
				}
			}
		}
		disk := provider.Disk{
			Key: d.GetDeviceName(), Label: path.Base(d.GetSource()), CapacityBytes: d.GetDiskSizeGb() << 30,
			Controller: strings.ToLower(d.GetInterface()), Unit: d.GetIndex(), Source: d.GetSource(),
		}
		if d.GetBoot() {
			disk.BootOrder = 1
		}
		vm.Disks = append(vm.Disks, disk)
	}
	for _, n := range inst.GetNetworkInterfaces() {
		nic := provider.NIC{Label: n.GetName(), Network: path.Base(n.GetNetwork()), AdapterType: strings.ToLower(n.GetNicType())}
		if sub := n.GetSubnetwork(); sub != "" {
			nic.Network += "/" + path.Base(sub)
		}
		vm.NICs = append(vm.NICs, nic)
	}
	for k, v := range inst.GetLabels() {
		vm.Tags = append(vm.Tags, k+"="+v)
	}
	sort.Strings(vm.Tags)
	return vm, nil
}

// exportableDisks are the instance's persistent disks, boot disk first then by index. Local
// SSDs (SCRATCH) hold no data an image can be made of and are left out.
func exportableDisks(inst *computepb.Instance) []*computepb.AttachedDisk {
	var out []*computepb.AttachedDisk
	for _, d := range inst.GetDisks() {
		if d.GetType() != "SCRATCH" {
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].GetBoot() != out[j].GetBoot() {
			return out[i].GetBoot()
		}
		return out[i].GetIndex() < out[j].GetIndex()
	})
	return out
}

// powerState maps an instance status to the contract's three states: an instance on its way
// up counts as off until it runs, one on its way down as on until it stopped.
func powerState(status string) string {
	switch status {
	case "RUNNING", "STOPPING", "REPAIRING":
		return provider.PowerOn
	case "SUSPENDING", "SUSPENDED":
		return provider.PowerSuspended
	}
	return provider.PowerOff // PROVISIONING, STAGING, STOPPED, TERMINATED
}

func ptr[T any](v T) *T { return &v }
