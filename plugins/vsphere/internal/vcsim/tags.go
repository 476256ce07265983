package vcsim

import (
	"context"
	"fmt"
	"net/url"
	"sort"

	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vapi/tags"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/soap"
)

// tagVMs creates the category "env" with tags "production" and "test", and tags the VMs in
// name order alternately production, test, production…, so tag filters have something to find.
func (s *Simulator) tagVMs(ctx context.Context) error {
	sc := soap.NewClient(s.URL(), true)
	vc, err := vim25.NewClient(ctx, sc)
	if err != nil {
		return fmt.Errorf("vcsim: connect for tagging: %w", err)
	}
	rc := rest.NewClient(vc)
	if err := rc.Login(ctx, url.UserPassword(s.Username(), s.Password())); err != nil {
		return fmt.Errorf("vcsim: REST login: %w", err)
	}
	defer rc.Logout(ctx)
	m := tags.NewManager(rc)
	cat, err := m.CreateCategory(ctx, &tags.Category{Name: "env", Cardinality: "SINGLE", AssociableTypes: []string{"VirtualMachine"}})
	if err != nil {
		return fmt.Errorf("vcsim: create tag category: %w", err)
	}
	ids := map[string]string{}
	for _, name := range []string{"production", "test"} {
		id, err := m.CreateTag(ctx, &tags.Tag{Name: name, CategoryID: cat})
		if err != nil {
			return fmt.Errorf("vcsim: create tag %s: %w", name, err)
		}
		ids[name] = id
	}
	names := s.VMNames()
	sort.Strings(names)
	for i, name := range names {
		ref, ok := s.vmRef(name)
		if !ok {
			continue
		}
		tag := ids["production"]
		if i%2 == 1 {
			tag = ids["test"]
		}
		if err := m.AttachTag(ctx, tag, ref); err != nil {
			return fmt.Errorf("vcsim: tag %s: %w", name, err)
		}
	}
	return nil
}
