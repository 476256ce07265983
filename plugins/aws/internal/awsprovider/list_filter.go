package awsprovider

import (
	"fmt"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// listPlan is a Filter turned into DescribeInstances calls: which regions to ask, with which
// server-side filters, and what to check on each instance after (tags and name pattern, which
// EC2 filters cannot express exactly).
type listPlan struct {
	regions []*regionClients
	filters []types.Filter
	tags    []string // every one must match (provider.MatchTags)
	pattern string   // glob over the VM name
	zone    string   // availability zone the instance must be in
	none    bool     // the filter matches no instance at all (status suspended)
}

// planListing checks f against the configuration. Datacenter is a configured region or an
// availability zone of one; Folder is an availability zone. Tags add to tag_filters.
func planListing(st state, f provider.Filter) (listPlan, error) {
	var plan listPlan
	states, err := statesFor(f.PowerState)
	if err != nil {
		return plan, err
	}
	if states == nil {
		plan.none = true
		return plan, nil
	}
	plan.filters = append(plan.filters, types.Filter{Name: aws.String("instance-state-name"), Values: states})
	plan.regions = st.regions
	var zones []string
	if dc := f.Datacenter; dc != "" {
		rc, zone, err := st.regionOf(dc)
		if err != nil {
			return plan, fmt.Errorf("filter datacenter: %w", err)
		}
		plan.regions = []*regionClients{rc}
		if zone != "" {
			zones = append(zones, zone)
		}
	}
	if f.Folder != "" {
		rc, zone, err := st.regionOf(f.Folder)
		if err != nil || zone == "" {
			return plan, fmt.Errorf("%w: filter folder %q is not an availability zone of a configured region (%s)", provider.ErrInvalidArgument, f.Folder, strings.Join(st.settings.allRegions(), ", "))
		}
		if (len(plan.regions) == 1 && plan.regions[0] != rc) || (len(zones) > 0 && zones[0] != zone) {
			plan.none = true
			return plan, nil
		}
		plan.regions, zones = []*regionClients{rc}, []string{zone}
	}
	if len(zones) > 0 {
		// Checked on each instance rather than sent as EC2's availability-zone filter: a
		// region lists its instances in one pass either way, and moto ignores that filter.
		plan.zone = zones[0]
	}
	plan.tags = append(append([]string(nil), st.settings.TagFilters...), f.Tags...)
	byKey := map[string][]string{}
	for _, t := range plan.tags {
		if t == "" || strings.HasPrefix(t, "=") {
			return plan, fmt.Errorf("%w: filter tag %q: want key or key=value", provider.ErrInvalidArgument, t)
		}
		if k, v, ok := strings.Cut(t, "="); ok {
			byKey[k] = append(byKey[k], v)
		}
	}
	// A key=value tag narrows the listing in EC2; a key asked with two values matches nothing
	// there, and MatchTags below says so too, so only single values go to EC2.
	for k, vs := range byKey {
		if len(vs) == 1 {
			plan.filters = append(plan.filters, types.Filter{Name: aws.String("tag:" + k), Values: vs})
		}
	}
	if f.NamePattern != "" {
		if _, err := path.Match(f.NamePattern, ""); err != nil {
			return plan, fmt.Errorf("%w: filter name_pattern %q: %v", provider.ErrInvalidArgument, f.NamePattern, err)
		}
		plan.pattern = f.NamePattern
	}
	return plan, nil
}

// keep reports whether a mapped VM passes the checks EC2 could not make.
func (plan listPlan) keep(vm provider.VM) bool {
	if plan.zone != "" && vm.Folder != plan.zone || !provider.MatchTags(vm.Tags, plan.tags) {
		return false
	}
	if plan.pattern != "" {
		ok, _ := path.Match(plan.pattern, vm.Name)
		return ok
	}
	return true
}

// regionOf resolves a region name, or an availability zone (us-east-1a, a local zone such as
// us-west-2-lax-1a) to its region, among the configured ones.
func (st state) regionOf(name string) (*regionClients, string, error) {
	var best *regionClients
	for _, rc := range st.regions {
		if rc.region == name {
			return rc, "", nil
		}
		if strings.HasPrefix(name, rc.region) && (best == nil || len(rc.region) > len(best.region)) {
			best = rc
		}
	}
	if best == nil {
		return nil, "", fmt.Errorf("%w: %q is neither a configured region nor an availability zone of one (%s)", provider.ErrInvalidArgument, name, strings.Join(st.settings.allRegions(), ", "))
	}
	return best, name, nil
}
