package hyperv

import (
	"context"

	"fmt"
	"path"
	"strings"

	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/psscript"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// listParams are list_vms.ps1's parameters.
type listParams struct {
	ID      string `json:"id,omitempty"`
	Skip    int    `json:"skip"`
	First   int    `json:"first"`
	Cluster string `json:"cluster,omitempty"`
}

// listAnswer is what list_vms.ps1 prints.
type listAnswer struct {
	Total int     `json:"total"`
	VMs   []vmRow `json:"vms"`
}

// ListVMs lists every page (see ListVMPages).
func (p *Provider) ListVMs(ctx context.Context, f provider.Filter) ([]provider.VM, error) {
	return provider.CollectVMPages(ctx, p, f)
}

// ListVMPages runs list_vms.ps1 a page of page_size VMs at a time, ordered by name, and passes
// on each page's VMs that match f.
func (p *Provider) ListVMPages(ctx context.Context, f provider.Filter, page func([]provider.VM) error) error {
	st, err := p.configured()
	if err != nil {
		return err
	}
	if err := checkFilter(f); err != nil {
		return err
	}
	for skip := 0; ; {
		var a listAnswer
		if err := st.winrm.Run(ctx, psscript.ListVMs, listParams{Skip: skip, First: st.settings.PageSize, Cluster: st.settings.Cluster}, &a); err != nil {
			return fmt.Errorf("list virtual machines: %w", err)
		}
		var vms []provider.VM
		for _, r := range a.VMs {
			if vm := r.vm(); matches(vm, f) {
				vms = append(vms, vm)
			}
		}
		if len(vms) > 0 {
			if err := page(vms); err != nil {
				return err
			}
		}
		skip += len(a.VMs)
		if len(a.VMs) == 0 || skip >= a.Total {
			return nil
		}
	}
}

// GetVM runs list_vms.ps1 for one id.
func (p *Provider) GetVM(ctx context.Context, id string) (provider.VM, error) {
	st, err := p.configured()
	if err != nil {
		return provider.VM{}, err
	}
	r, err := st.row(ctx, id)
	if err != nil {
		return provider.VM{}, err
	}
	return r.vm(), nil
}

func (st *state) row(ctx context.Context, id string) (vmRow, error) {
	if !guidRE.MatchString(id) {
		return vmRow{}, fmt.Errorf("virtual machine %q: %w (a Hyper-V VM id is a GUID)", id, provider.ErrNotFound)
	}
	// PowerShell compares GUIDs' text without case; the fake host does not need to.
	id = strings.ToLower(id)
	var a listAnswer
	err := st.winrm.Run(ctx, psscript.ListVMs, listParams{ID: id, Cluster: st.settings.Cluster}, &a)
	if err == nil && len(a.VMs) != 1 {
		err = fmt.Errorf("%w: list_vms answered %d VMs for one id", provider.ErrNotFound, len(a.VMs))
	}
	if err != nil {
		return vmRow{}, fmt.Errorf("virtual machine %s: %w", id, err)
	}
	return a.VMs[0], nil
}

func checkFilter(f provider.Filter) error {
	if f.NamePattern != "" {
		if _, err := path.Match(f.NamePattern, ""); err != nil {
			return fmt.Errorf("%w: filter name_pattern %q: %v", provider.ErrInvalidArgument, f.NamePattern, err)
		}
	}
	switch f.PowerState {
	case "", provider.PowerOn, provider.PowerOff, provider.PowerSuspended:
	default:
		return fmt.Errorf("%w: filter status %q is not %s, %s or %s", provider.ErrInvalidArgument, f.PowerState, provider.PowerOn, provider.PowerOff, provider.PowerSuspended)
	}
	if f.Folder != "" {
		return fmt.Errorf("%w: filter folder: Hyper-V has no folders", provider.ErrInvalidArgument)
	}
	return nil
}

func matches(vm provider.VM, f provider.Filter) bool {
	if f.Datacenter != "" && !equalFold(vm.Datacenter, f.Datacenter) {
		return false
	}
	if f.PowerState != "" && vm.PowerState != f.PowerState {
		return false
	}
	if f.NamePattern != "" {
		if ok, _ := path.Match(f.NamePattern, vm.Name); !ok {
			return false
		}
	}
	return provider.MatchTags(vm.Tags, f.Tags)
}
