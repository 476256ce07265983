package azure

import (
	"context"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v7"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// ListVMs lists every page of ListVMPages.
func (p *Provider) ListVMs(ctx context.Context, f provider.Filter) ([]provider.VM, error) {
	return provider.CollectVMPages(ctx, p, f)
}

// ListVMPages lists the subscription's VMs a page at a time as Resource Manager hands them out
// (following nextLink), with statusOnly=true so each VM carries its power state without an
// instance-view call of its own. resource_groups and the filter are applied to each page.
func (p *Provider) ListVMPages(ctx context.Context, f provider.Filter, page func([]provider.VM) error) error {
	if err := f.Validate(); err != nil {
		return err
	}
	c, s, _, err := p.configured()
	if err != nil {
		return err
	}
	pager := c.vms.NewListAllPager(&armcompute.VirtualMachinesClientListAllOptions{StatusOnly: to.Ptr("true")})
	var out []provider.VM
	for pager.More() {
		resp, err := pager.NextPage(ctx)
		if err != nil {
			return armError("list the subscription's virtual machines", err)
		}
		out = out[:0]
		for _, v := range resp.Value {
			vm, err := p.toVM(ctx, v)
			if err != nil {
				return err
			}
			if inGroups(s.ResourceGroups, vm.Folder) && matches(vm, f) {
				out = append(out, vm)
			}
		}
		if len(out) > 0 {
			if err := page(out); err != nil {
				return err
			}
		}
	}
	return nil
}

// GetVM reads one VM with its instance view, then its disks (exact sizes) and NICs (MAC,
// virtual network and subnet).
func (p *Provider) GetVM(ctx context.Context, id string) (provider.VM, error) {
	vm, _, err := p.getVM(ctx, id)
	return vm, err
}

// vmDetail is what an export needs of a VM beyond the contract's picture.
type vmDetail struct {
	rg, name, location string
	disks              []diskDetail
}

// diskDetail is one managed disk of a VM as the export sees it.
type diskDetail struct {
	id, name, rg string
	sizeBytes    int64
	sectorSize   int32
	policy       armcompute.NetworkAccessPolicy
	authMode     armcompute.DataAccessAuthMode
}

func (p *Provider) getVM(ctx context.Context, id string) (provider.VM, vmDetail, error) {
	c, s, _, err := p.configured()
	if err != nil {
		return provider.VM{}, vmDetail{}, err
	}
	rg, name, err := parseVMID(id)
	if err != nil {
		return provider.VM{}, vmDetail{}, err
	}
	if !inGroups(s.ResourceGroups, rg) {
		return provider.VM{}, vmDetail{}, fmt.Errorf("%w: VM %s is in resource group %s, outside providers.azure.resource_groups", provider.ErrNotFound, id, rg)
	}
	resp, err := c.vms.Get(ctx, rg, name, &armcompute.VirtualMachinesClientGetOptions{Expand: to.Ptr(armcompute.InstanceViewTypesInstanceView)})
	if err != nil {
		return provider.VM{}, vmDetail{}, armError("read VM "+id, err)
	}
	vm, err := p.toVM(ctx, &resp.VirtualMachine)
	if err != nil {
		return provider.VM{}, vmDetail{}, err
	}
	detail := vmDetail{rg: rg, name: deref(resp.Name), location: deref(resp.Location)}
	for i := range vm.Disks {
		d, err := c.disk(ctx, vm.Disks[i].Source)
		if err != nil {
			return provider.VM{}, vmDetail{}, err
		}
		vm.Disks[i].CapacityBytes, vm.Disks[i].SectorSize = d.sizeBytes, d.sectorSize
		detail.disks = append(detail.disks, d)
	}
	for i := range vm.NICs {
		if err := c.describeNIC(ctx, &vm.NICs[i]); err != nil {
			return provider.VM{}, vmDetail{}, err
		}
	}
	return vm, detail, nil
}

// disk reads a managed disk by its ARM id.
func (c *clients) disk(ctx context.Context, id string) (diskDetail, error) {
	r, err := parseID(id)
	if err != nil {
		return diskDetail{}, err
	}
	resp, err := c.disks.Get(ctx, r.ResourceGroupName, r.Name, nil)
	if err != nil {
		return diskDetail{}, armError("read disk "+r.Name, err)
	}
	d := diskDetail{id: deref(resp.ID), name: deref(resp.Name), rg: r.ResourceGroupName, sectorSize: 512}
	if pr := resp.Properties; pr != nil {
		d.sizeBytes = deref(pr.DiskSizeBytes)
		if d.sizeBytes == 0 {
			d.sizeBytes = int64(deref(pr.DiskSizeGB)) << 30
		}
		if pr.CreationData != nil && deref(pr.CreationData.LogicalSectorSize) != 0 {
			d.sectorSize = *pr.CreationData.LogicalSectorSize
		}
		d.policy, d.authMode = deref(pr.NetworkAccessPolicy), deref(pr.DataAccessAuthMode)
	}
	return d, nil
}

// toVM is the contract's picture of a VM as Resource Manager describes it.
func (p *Provider) toVM(ctx context.Context, v *armcompute.VirtualMachine) (provider.VM, error) {
	if v == nil || v.ID == nil || v.Name == nil {
		return provider.VM{}, fmt.Errorf("azure listed a VM without an id or name")
	}
	r, err := parseID(*v.ID)
	if err != nil {
		return provider.VM{}, err
	}
	vm := provider.VM{ID: vmID(r.ResourceGroupName, *v.Name), Name: *v.Name, Datacenter: deref(v.Location), Folder: r.ResourceGroupName,
		PowerState: provider.PowerOff, Firmware: provider.FirmwareBIOS, Disks: []provider.Disk{}, NICs: []provider.NIC{}, CDROMs: []provider.CDROM{}, Tags: tags(v.Tags)}
	pr := v.Properties
	if pr == nil {
		return vm, nil
	}
	gen2 := false
	if iv := pr.InstanceView; iv != nil {
		vm.PowerState = powerState(iv.Statuses)
		gen2 = deref(iv.HyperVGeneration) == armcompute.HyperVGenerationTypeV2
		if iv.OSName != nil {
			vm.GuestOS = *iv.OSName
		}
	}
	if sp := pr.SecurityProfile; sp != nil {
		st := deref(sp.SecurityType)
		gen2 = gen2 || st == armcompute.SecurityTypesTrustedLaunch || st == armcompute.SecurityTypesConfidentialVM
		if sp.UefiSettings != nil {
			vm.SecureBoot = deref(sp.UefiSettings.SecureBootEnabled)
			vm.TPM = deref(sp.UefiSettings.VTpmEnabled)
		}
	}
	if gen2 {
		vm.Firmware = provider.FirmwareEFI
	}
	if hw := pr.HardwareProfile; hw != nil && hw.VMSize != nil && p.sizes != nil {
		size, ok, err := p.sizes.lookup(ctx, vm.Datacenter, string(*hw.VMSize))
		if err != nil {
			return vm, err
		}
		if ok {
			vm.CPUs, vm.MemoryMB = size.cores, size.memoryMB
		}
	}
	if st := pr.StorageProfile; st != nil {
		vm.Disks = disks(st, gen2)
		if st.OSDisk != nil && vm.GuestOS == "" && st.OSDisk.OSType != nil {
			vm.GuestOS = string(*st.OSDisk.OSType)
		}
	}
	if np := pr.NetworkProfile; np != nil {
		for i, n := range np.NetworkInterfaces {
			if n == nil || n.ID == nil {
				continue
			}
			nic := provider.NIC{Label: fmt.Sprintf("nic%d", i), Network: *n.ID}
			if r, err := parseID(*n.ID); err == nil {
				nic.Label = r.Name
			}
			vm.NICs = append(vm.NICs, nic)
		}
	}
	return vm, nil
}

// disks lists a VM's managed disks, the OS disk first and in the boot order. Azure presents a
// generation 1 VM's OS disk on IDE and data disks on SCSI, a generation 2 VM's all on SCSI,
// and all on NVMe where the VM's disk controller is NVMe. Unmanaged (VHD in a storage account)
// and ephemeral OS disks are not listed: there is no managed disk to snapshot.
func disks(st *armcompute.StorageProfile, gen2 bool) []provider.Disk {
	ctrl, osCtrl := "scsi", "ide"
	if gen2 {
		osCtrl = "scsi"
	}
	if deref(st.DiskControllerType) == armcompute.DiskControllerTypesNVMe {
		ctrl, osCtrl = "nvme", "nvme"
	}
	out := []provider.Disk{}
	if o := st.OSDisk; o != nil && o.ManagedDisk != nil && o.ManagedDisk.ID != nil && o.DiffDiskSettings == nil {
		out = append(out, provider.Disk{Key: "os", Label: deref(o.Name), CapacityBytes: int64(deref(o.DiskSizeGB)) << 30,
			Controller: osCtrl, BootOrder: 1, Source: *o.ManagedDisk.ID, Caching: string(deref(o.Caching))})
	}
	data := slices.Clone(st.DataDisks)
	sort.Slice(data, func(i, j int) bool { return deref(data[i].Lun) < deref(data[j].Lun) })
	for _, d := range data {
		if d == nil || d.ManagedDisk == nil || d.ManagedDisk.ID == nil {
			continue
		}
		out = append(out, provider.Disk{Key: fmt.Sprintf("lun%d", deref(d.Lun)), Label: deref(d.Name), CapacityBytes: int64(deref(d.DiskSizeGB)) << 30,
			Controller: ctrl, Unit: deref(d.Lun), Source: *d.ManagedDisk.ID, Caching: string(deref(d.Caching))})
	}
	return out
}

// powerState maps the instance view's PowerState/<code> to the contract's: a VM starting or
// running is on; stopped, deallocated and on their way there are off.
func powerState(statuses []*armcompute.InstanceViewStatus) string {
	for _, st := range statuses {
		code := strings.ToLower(deref(deref(st).Code))
		if state, ok := strings.CutPrefix(code, "powerstate/"); ok {
			switch state {
			case "running", "starting":
				return provider.PowerOn
			default:
				return provider.PowerOff
			}
		}
	}
	return provider.PowerOff
}

// tags flattens Azure's tags to key=value, sorted (MatchTags matches key or key=value).
func tags(m map[string]*string) []string {
	out := []string{}
	for k, v := range m {
		out = append(out, k+"="+deref(v))
	}
	sort.Strings(out)
	return out
}

func inGroups(groups []string, rg string) bool {
	if len(groups) == 0 {
		return true
	}
	for _, g := range groups {
		if strings.EqualFold(g, rg) {
			return true
		}
	}
	return false
}

// matches applies the filter: location and resource group compare without case, as Azure's
// names do.
func matches(vm provider.VM, f provider.Filter) bool {
	switch {
	case f.Datacenter != "" && !strings.EqualFold(f.Datacenter, vm.Datacenter):
		return false
	case f.Folder != "" && !strings.EqualFold(f.Folder, vm.Folder):
		return false
	case f.PowerState != "" && f.PowerState != vm.PowerState:
		return false
	case !provider.MatchTags(vm.Tags, f.Tags):
		return false
	}
	if f.NamePattern != "" {
		if ok, _ := path.Match(f.NamePattern, vm.Name); !ok {
			return false
		}
	}
	return true
}
