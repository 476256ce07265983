package vsphere

import (
	"context"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/hypersdk/hypersdk/plugins/vsphere/internal/vmhw"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Properties fetched for a listing (cheap) and for a full VM picture (devices too).
var (
	listProps = []string{"name", "parent", "runtime.powerState", "config.guestId", "config.hardware.numCPU",
		"config.hardware.memoryMB", "config.firmware", "config.template"}
	fullProps = append(append([]string{}, listProps...), "config.hardware.device", "config.bootOptions")
)

var morefPattern = regexp.MustCompile(`^vm-\d+$`)

// folderTree maps inventory containers to their names and parents, to turn a VM's parent into
// its datacenter and folder path.
type folderTree map[types.ManagedObjectReference]node

type node struct {
	name   string
	parent *types.ManagedObjectReference
	isDC   bool
}

func loadFolderTree(ctx context.Context, c *conn) (folderTree, error) {
	m := view.NewManager(c.vim)
	v, err := m.CreateContainerView(ctx, c.vim.ServiceContent.RootFolder, []string{"Folder", "Datacenter"}, true)
	if err != nil {
		return nil, fmt.Errorf("inventory view: %w", err)
	}
	defer v.Destroy(ctx)
	var folders []mo.Folder
	var dcs []mo.Datacenter
	if err := v.Retrieve(ctx, []string{"Folder"}, []string{"name", "parent"}, &folders); err != nil {
		return nil, fmt.Errorf("list folders: %w", err)
	}
	if err := v.Retrieve(ctx, []string{"Datacenter"}, []string{"name", "parent"}, &dcs); err != nil {
		return nil, fmt.Errorf("list datacenters: %w", err)
	}
	t := folderTree{}
	for _, f := range folders {
		t[f.Self] = node{name: f.Name, parent: f.Parent}
	}
	for _, d := range dcs {
		t[d.Self] = node{name: d.Name, parent: d.Parent, isDC: true}
	}
	return t, nil
}

// locate returns the datacenter and the folder path ("/DC1/vm/prod") of a VM's parent.
func (t folderTree) locate(parent *types.ManagedObjectReference) (dc, folder string) {
	var names []string
	for ref := parent; ref != nil; {
		n, ok := t[*ref]
		if !ok {
			break
		}
		names = append(names, n.name)
		if n.isDC {
			dc = n.name
			break
		}
		ref = n.parent
	}
	for i, j := 0, len(names)-1; i < j; i, j = i+1, j-1 {
		names[i], names[j] = names[j], names[i]
	}
	return dc, "/" + strings.Join(names, "/")
}

// vmFromMO turns retrieved properties into the contract's VM; devices are read when present.
func vmFromMO(v mo.VirtualMachine, tree folderTree) provider.VM {
	out := provider.VM{ID: v.Self.Value, Name: v.Name, PowerState: string(v.Runtime.PowerState), Firmware: provider.FirmwareBIOS}
	out.Datacenter, out.Folder = tree.locate(v.Parent)
	if cfg := v.Config; cfg != nil {
		out.GuestOS = cfg.GuestId
		out.CPUs = cfg.Hardware.NumCPU
		out.MemoryMB = int64(cfg.Hardware.MemoryMB)
		if cfg.Firmware == string(types.GuestOsDescriptorFirmwareTypeEfi) {
			out.Firmware = provider.FirmwareEFI
		}
		if b := cfg.BootOptions; b != nil && b.EfiSecureBootEnabled != nil {
			out.SecureBoot = *b.EfiSecureBootEnabled
		}
		if len(cfg.Hardware.Device) > 0 {
			vmhw.ReadDevices(&out, cfg.Hardware.Device, cfg.BootOptions)
		}
	}
	return out
}

func (p *Provider) listVMs(ctx context.Context, c *conn, f provider.Filter) ([]provider.VM, error) {
	tree, err := loadFolderTree(ctx, c)
	if err != nil {
		return nil, err
	}
	m := view.NewManager(c.vim)
	v, err := m.CreateContainerView(ctx, c.vim.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, fmt.Errorf("VM view: %w", err)
	}
	defer v.Destroy(ctx)
	var mos []mo.VirtualMachine
	if err := v.Retrieve(ctx, []string{"VirtualMachine"}, listProps, &mos); err != nil {
		return nil, fmt.Errorf("list VMs: %w", err)
	}
	var out []provider.VM
	for _, m := range mos {
		if m.Config != nil && m.Config.Template {
			continue
		}
		vm := vmFromMO(m, tree)
		if matchesWithoutTags(vm, f) {
			out = append(out, vm)
		}
	}
	index, err := p.attachTags(ctx, c, out, len(f.Tags) > 0, wantsCategories(f.Tags))
	if err != nil {
		return nil, err
	}
	if len(f.Tags) > 0 {
		kept := out[:0]
		for _, vm := range out {
			if index.hasAll(vm.ID, f.Tags) {
				kept = append(kept, vm)
			}
		}
		out = kept
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func matchesWithoutTags(vm provider.VM, f provider.Filter) bool {
	if f.Datacenter != "" && vm.Datacenter != f.Datacenter {
		return false
	}
	if f.PowerState != "" && vm.PowerState != f.PowerState {
		return false
	}
	if f.Folder != "" && vm.Folder != f.Folder && !strings.HasPrefix(vm.Folder, strings.TrimSuffix(f.Folder, "/")+"/") {
		return false
	}
	if f.NamePattern != "" {
		if ok, _ := path.Match(f.NamePattern, vm.Name); !ok {
			return false
		}
	}
	return true
}

// resolveVM finds a VM by managed object id (vm-123), inventory path (/DC1/vm/web) or name.
func resolveVM(ctx context.Context, c *conn, id string) (types.ManagedObjectReference, error) {
	notFound := fmt.Errorf("vm %q: %w", id, provider.ErrNotFound)
	if id == "" {
		return types.ManagedObjectReference{}, notFound
	}
	pc := property.DefaultCollector(c.vim)
	if morefPattern.MatchString(id) {
		ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: id}
		var m mo.VirtualMachine
		if err := pc.RetrieveOne(ctx, ref, []string{"name"}, &m); err == nil {
			return ref, nil
		}
	}
	m := view.NewManager(c.vim)
	v, err := m.CreateContainerView(ctx, c.vim.ServiceContent.RootFolder, []string{"VirtualMachine"}, true)
	if err != nil {
		return types.ManagedObjectReference{}, fmt.Errorf("VM view: %w", err)
	}
	defer v.Destroy(ctx)
	name := id
	if strings.HasPrefix(id, "/") {
		name = path.Base(id)
	}
	refs, err := v.Find(ctx, []string{"VirtualMachine"}, property.Match{"name": name})
	if err != nil {
		return types.ManagedObjectReference{}, fmt.Errorf("find vm %q: %w", id, err)
	}
	if strings.HasPrefix(id, "/") && len(refs) > 0 {
		tree, err := loadFolderTree(ctx, c)
		if err != nil {
			return types.ManagedObjectReference{}, err
		}
		for _, ref := range refs {
			var vm mo.VirtualMachine
			if err := pc.RetrieveOne(ctx, ref, []string{"parent"}, &vm); err == nil {
				if _, folder := tree.locate(vm.Parent); folder+"/"+name == id {
					return ref, nil
				}
			}
		}
		return types.ManagedObjectReference{}, notFound
	}
	switch len(refs) {
	case 0:
		return types.ManagedObjectReference{}, notFound
	case 1:
		return refs[0], nil
	}
	return types.ManagedObjectReference{}, fmt.Errorf("%w: %d VMs are named %q; use the managed object id or inventory path", provider.ErrInvalidArgument, len(refs), id)
}

func (p *Provider) getVM(ctx context.Context, c *conn, id string) (provider.VM, mo.VirtualMachine, error) {
	ref, err := resolveVM(ctx, c, id)
	if err != nil {
		return provider.VM{}, mo.VirtualMachine{}, err
	}
	var m mo.VirtualMachine
	if err := property.DefaultCollector(c.vim).RetrieveOne(ctx, ref, fullProps, &m); err != nil {
		return provider.VM{}, m, fmt.Errorf("read vm %s: %w", id, err)
	}
	tree, err := loadFolderTree(ctx, c)
	if err != nil {
		return provider.VM{}, m, err
	}
	vm := vmFromMO(m, tree)
	list := []provider.VM{vm}
	if _, err := p.attachTags(ctx, c, list, false, false); err != nil {
		return provider.VM{}, m, err
	}
	return list[0], m, nil
}
