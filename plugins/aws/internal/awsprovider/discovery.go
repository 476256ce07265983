package awsprovider

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// ListVMs lists the instances matching f in every configured region (or the one f names).
func (p *Provider) ListVMs(ctx context.Context, f provider.Filter) ([]provider.VM, error) {
	return provider.CollectVMPages(ctx, p, f)
}

// ListVMPages hands over one page per DescribeInstances page (page_size instances at most), so
// the host encodes and sends a page while the next is fetched.
func (p *Provider) ListVMPages(ctx context.Context, f provider.Filter, page func([]provider.VM) error) error {
	st, err := p.state()
	if err != nil {
		return err
	}
	plan, err := planListing(st, f)
	if err != nil || plan.none {
		return err
	}
	var vms []provider.VM
	for _, rc := range plan.regions {
		pages := ec2.NewDescribeInstancesPaginator(rc.ec2, &ec2.DescribeInstancesInput{
			Filters: plan.filters, MaxResults: aws.Int32(int32(st.settings.PageSize))})
		for pages.HasMorePages() {
			out, err := pages.NextPage(ctx)
			if err != nil {
				return awsError("list instances in "+rc.region, err)
			}
			insts := instancesOf(out.Reservations)
			batch, err := st.describeBatch(ctx, rc, insts)
			if err != nil {
				return err
			}
			vms = vms[:0]
			for _, in := range insts {
				if vm := toVM(rc.region, in, batch); plan.keep(vm) {
					vms = append(vms, vm)
				}
			}
			if err := page(vms); err != nil {
				return err
			}
		}
	}
	return nil
}

func instancesOf(rs []types.Reservation) []types.Instance {
	var out []types.Instance
	for _, r := range rs {
		out = append(out, r.Instances...)
	}
	return out
}

// GetVM describes one instance, looked for in each configured region in turn.
func (p *Provider) GetVM(ctx context.Context, id string) (provider.VM, error) {
	st, err := p.state()
	if err != nil {
		return provider.VM{}, err
	}
	vm, _, _, err := st.findInstance(ctx, id)
	return vm, err
}

// findInstance looks an instance up in the configured regions and maps it; it also returns the
// raw instance and its region's clients, for the export.
func (st state) findInstance(ctx context.Context, id string) (provider.VM, types.Instance, *regionClients, error) {
	if !strings.HasPrefix(id, "i-") {
		return provider.VM{}, types.Instance{}, nil, fmt.Errorf("%w: %q is not an EC2 instance id (i-…)", provider.ErrNotFound, id)
	}
	for _, rc := range st.regions {
		out, err := rc.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
		if notFoundCodes[errorCode(err)] {
			continue
		}
		if err != nil {
			return provider.VM{}, types.Instance{}, nil, awsError("describe instance "+id+" in "+rc.region, err)
		}
		insts := instancesOf(out.Reservations)
		if len(insts) == 0 || insts[0].State != nil && insts[0].State.Name == types.InstanceStateNameTerminated {
			continue
		}
		batch, err := st.describeBatch(ctx, rc, insts[:1])
		if err != nil {
			return provider.VM{}, types.Instance{}, nil, err
		}
		return toVM(rc.region, insts[0], batch), insts[0], rc, nil
	}
	return provider.VM{}, types.Instance{}, nil, fmt.Errorf("%w: instance %s in %s", provider.ErrNotFound, id, strings.Join(st.settings.allRegions(), ", "))
}
