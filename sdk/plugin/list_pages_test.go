package plugin

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

// pagedProvider is a provider.VMPager: page i holds the next sizes[i] VMs of vms. With err set,
// page failAt is not yielded and ListVMPages returns err instead. Its ListVMs fails, so a test
// sees at once if the server lists without the pager.
type pagedProvider struct {
	listedProvider
	sizes  []int
	failAt int
	err    error
}

func newPaged(sizes []int) *pagedProvider {
	total := 0
	for _, n := range sizes {
		total += n
	}
	return &pagedProvider{listedProvider: listedProvider{vms: inventory(total), err: errors.New("ListVMs called instead of ListVMPages")}, sizes: sizes}
}

func (p *pagedProvider) ListVMPages(ctx context.Context, _ provider.Filter, page func([]provider.VM) error) error {
	at := 0
	for i, n := range p.sizes {
		if p.err != nil && i == p.failAt {
			return fmt.Errorf("page %d of the inventory: %w", i, p.err)
		}
		// A reused buffer, as the contract allows: the host must have finished with a page.
		buf := append(make([]provider.VM, 0, n), p.vms[at:at+n]...)
		if err := page(buf); err != nil {
			return err
		}
		clear(buf)
		at += n
	}
	return nil
}

// Pages of every size arrive whole and in order, joined into one list; pages larger than a
// wire message are split, empty ones add nothing.
func TestListVMPagesAcrossTheWire(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		sizes []int
	}{
		{"no pages", nil},
		{"one empty page", []int{0}},
		{"one VM", []int{1}},
		{"three small pages", []int{7, 7, 7}},
		{"a wire message's worth", []int{listBatch}},
		{"one more than a message", []int{listBatch + 1}},
		{"a page split in three", []int{2*listBatch + 200}},
		{"empty pages between", []int{3, 0, 0, 5}},
		{"10,000 in pages of 500", repeat(500, 20)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newPaged(c.sizes)
			got, err := ConnectInProcess(t, p).ListVMs(context.Background(), provider.Filter{})
			if err != nil {
				t.Fatalf("ListVMs: %v", err)
			}
			if len(got) != len(p.vms) || len(got) > 0 && !reflect.DeepEqual(got, p.vms) {
				t.Errorf("got %d VMs, want the %d the pages held, in order", len(got), len(p.vms))
			}
		})
	}
}

func repeat(n, times int) []int {
	s := make([]int, times)
	for i := range s {
		s[i] = n
	}
	return s
}

// An error on any page fails the whole listing with the provider's sentinel and message; the
// pages already sent are not returned.
func TestListVMPagesErrorMidway(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		failAt int
		err    error
	}{
		{"before the first page", 0, provider.ErrAuth},
		{"on the second page", 1, provider.ErrUnavailable},
		{"on the last page", 9, provider.ErrNotFound},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := newPaged(repeat(100, 10))
			p.failAt, p.err = c.failAt, c.err
			vms, err := ConnectInProcess(t, p).ListVMs(context.Background(), provider.Filter{})
			if !errors.Is(err, c.err) {
				t.Fatalf("ListVMs = %v, want %v across the wire", err, c.err)
			}
			if want := fmt.Sprintf("page %d of the inventory", c.failAt); !strings.Contains(err.Error(), want) {
				t.Errorf("error %q lost the provider's message %q", err, want)
			}
			if vms != nil {
				t.Errorf("a failed listing returned %d VMs, want none", len(vms))
			}
		})
	}
}

// endlessPager yields pages until told to stop: by ctx if watchCtx, else only by page's error.
type endlessPager struct {
	listedProvider
	watchCtx bool
	started  chan struct{}
	returned chan error
}

func (p *endlessPager) ListVMPages(ctx context.Context, _ provider.Filter, page func([]provider.VM) error) (err error) {
	defer func() { p.returned <- err }()
	vms := inventory(10)
	for i := 0; ; i++ {
		if p.watchCtx && ctx.Err() != nil {
			return fmt.Errorf("fetch page %d: %w", i, ctx.Err())
		}
		if err := page(vms); err != nil {
			return err
		}
		if i == 2 {
			close(p.started)
		}
	}
}

// The host's cancel ends the listing on both sides: the host returns context.Canceled and the
// provider's paging stops, also in a provider that never looks at its context.
func TestListVMPagesCancel(t *testing.T) {
	t.Parallel()
	for _, watch := range []bool{true, false} {
		t.Run(fmt.Sprintf("provider watches ctx %v", watch), func(t *testing.T) {
			t.Parallel()
			p := &endlessPager{watchCtx: watch, started: make(chan struct{}), returned: make(chan error, 1)}
			host := ConnectInProcess(t, p)
			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				<-p.started
				cancel()
			}()
			vms, err := host.ListVMs(ctx, provider.Filter{})
			if !errors.Is(err, context.Canceled) || vms != nil {
				t.Fatalf("ListVMs after cancel = %d VMs, %v; want none and context.Canceled", len(vms), err)
			}
			select {
			case perr := <-p.returned:
				if perr == nil {
					t.Error("the provider's paging ended without an error after the cancel")
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the provider kept paging 10s after the host cancelled")
			}
		})
	}
}
