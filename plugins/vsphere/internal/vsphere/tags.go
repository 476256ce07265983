package vsphere

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/vmware/govmomi/vapi/tags"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// A vSphere tag is a name within a category. VM.Tags lists the names, as it always has; a filter
// tag is a name ("production"), or category=name ("env=production") for a name of one category.

// tagIndex is each listed VM's tags as a filter may spell them: its tag names and, when asked
// for, its category=name pairs. A filter "a=b" also matches a tag literally named "a=b".
type tagIndex map[string]map[string]bool // VM id → spellings

func (t tagIndex) hasAll(vmID string, want []string) bool {
	have := t[vmID]
	for _, w := range want {
		if !have[w] {
			return false
		}
	}
	return true
}

// wantsCategories reports whether a filter names a tag by its category, which costs a listing
// of the categories.
func wantsCategories(want []string) bool {
	for _, w := range want {
		if strings.Contains(w, "=") {
			return true
		}
	}
	return false
}

// attachTags fills VM.Tags from the vSphere tagging API and returns the index a tag filter is
// matched against. When tags only decorate the answer, a vCenter without the REST API still
// lists its VMs; when the caller filters by tag it must work.
func (p *Provider) attachTags(ctx context.Context, c *conn, vms []provider.VM, required, categories bool) (tagIndex, error) {
	if len(vms) == 0 {
		return tagIndex{}, nil
	}
	index, err := p.readTags(ctx, c, vms, categories)
	if err == nil {
		return index, nil
	}
	if required {
		return nil, fmt.Errorf("read vSphere tags: %w: %v", provider.ErrUnavailable, err)
	}
	provider.Logger(ctx).Warn("vSphere tags unavailable; listing without them", "error", err)
	return tagIndex{}, nil
}

func (p *Provider) readTags(ctx context.Context, c *conn, vms []provider.VM, categories bool) (tagIndex, error) {
	rc, err := p.pool.restClient(ctx, c)
	if err != nil {
		return nil, err
	}
	m := tags.NewManager(rc)
	refs := make([]mo.Reference, len(vms))
	for i, vm := range vms {
		refs[i] = types.ManagedObjectReference{Type: "VirtualMachine", Value: vm.ID}
	}
	attached, err := m.GetAttachedTagsOnObjects(ctx, refs)
	if err != nil {
		return nil, err
	}
	categoryName := map[string]string{}
	if categories {
		all, err := m.GetCategories(ctx)
		if err != nil {
			return nil, fmt.Errorf("list tag categories: %w", err)
		}
		for _, cat := range all {
			categoryName[cat.ID] = cat.Name
		}
	}
	names := map[string][]string{}
	index := tagIndex{}
	for _, a := range attached {
		id := a.ObjectID.Reference().Value
		if index[id] == nil {
			index[id] = map[string]bool{}
		}
		for _, t := range a.Tags {
			names[id] = append(names[id], t.Name)
			index[id][t.Name] = true
			if cat, ok := categoryName[t.CategoryID]; ok {
				index[id][cat+"="+t.Name] = true
			}
		}
	}
	for i := range vms {
		vms[i].Tags = names[vms[i].ID]
		sort.Strings(vms[i].Tags)
	}
	return index, nil
}
