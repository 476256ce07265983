package fake

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// pageSize is how many VMs one page of ListVMPages holds, as a cloud API's page would.
const pageSize = 500

var _ provider.VMPager = (*Provider)(nil)

// ListVMPages produces the inventory in pages, in id order, building each VM only when its page
// is due (a cloud provider would fetch the page here), so through a plugin the host receives a
// page while the next is made. ListVMs collects these pages: one listing, one filter.
func (p *Provider) ListVMPages(ctx context.Context, f provider.Filter, page func([]provider.VM) error) error {
	p.mu.Lock()
	s, delay := p.settings, p.listDelay
	p.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-ctx.Done():
			return fmt.Errorf("list VMs: %w", ctx.Err())
		}
	}
	buf := make([]provider.VM, 0, pageSize)
	add := func(vm provider.VM) error {
		if !matches(vm, f) {
			return nil
		}
		if buf = append(buf, vm); len(buf) < pageSize {
			return nil
		}
		return flush(ctx, &buf, page)
	}
	for i := range idOrder(s.VMCount) {
		if err := add(numberedVM(i, s)); err != nil {
			return err
		}
	}
	if s.Faults { // their ids sort after every numbered one's
		for _, id := range faultIDs {
			if err := add(fakeVM(id, provider.PowerOff, "DC1", []string{"fault"}, s)); err != nil {
				return err
			}
		}
	}
	return flush(ctx, &buf, page)
}

// flush hands a non-empty page over and empties it for reuse.
func flush(ctx context.Context, buf *[]provider.VM, page func([]provider.VM) error) error {
	if len(*buf) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("list VMs: %w", err)
	}
	err := page(*buf)
	*buf = (*buf)[:0]
	return err
}

// idOrder yields 1..n in the order their ids ("vm-%03d") sort as strings, without building and
// sorting them: 001 to 999 in turn, each from 100 on followed depth first by the longer numbers
// it begins (vm-100, vm-1000, vm-10000, …, vm-10009, vm-1001, …, vm-101).
func idOrder(n int) iter.Seq[int] {
	return func(yield func(int) bool) {
		var walk func(i int) bool
		walk = func(i int) bool {
			if !yield(i) {
				return false
			}
			if i < 100 { // 001–099: no longer id starts with 0
				return true
			}
			for c := i * 10; c <= n && c < i*10+10; c++ {
				if !walk(c) {
					return false
				}
			}
			return true
		}
		for i := 1; i <= min(n, 999); i++ {
			if !walk(i) {
				return
			}
		}
	}
}
