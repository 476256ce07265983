package provider

import "context"

// VMPager is an optional capability: list VMs a page at a time, the way cloud APIs hand out
// their inventory (EC2 DescribeInstances with NextToken, Azure's nextLink, GCP's pageToken).
// The host type-asserts for it. Through a plugin, each page is encoded, sent and decoded while
// the provider fetches the next, so a large listing costs about what the provider's own paging
// costs rather than that plus moving the whole list afterwards. The host still gets one []VM
// from ListVMs; a provider with VMPager implements ListVMs as CollectVMPages(ctx, p, f), so
// both share one listing.
//
// ListVMPages calls page with each page in turn; together, in order, they are what ListVMs
// answers for f. It stops at the first error page returns and returns it (wrapped or as it is),
// and it stops when ctx is done, returning an error that wraps ctx.Err(). An error after some
// pages fails the whole listing: the host never sees part of a list. Pages of 100 to 1,000 VMs
// suit: the platform's own page size where it has one; the host splits larger pages for the
// wire, and an empty page sends nothing. page does not keep the slice after it returns, so the
// provider may reuse it for the next page.
type VMPager interface {
	ListVMPages(ctx context.Context, f Filter, page func([]VM) error) error
}

// CollectVMPages lists every page of p and joins them: a VMPager's ListVMs in one line.
func CollectVMPages(ctx context.Context, p VMPager, f Filter) ([]VM, error) {
	var all []VM
	err := p.ListVMPages(ctx, f, func(page []VM) error {
		all = append(all, page...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return all, nil
}
