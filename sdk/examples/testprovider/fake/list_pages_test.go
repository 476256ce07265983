package fake

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hypersdk/hypersdk/sdk/provider"
)

func configured(t *testing.T, settings map[string]any) *Provider {
	t.Helper()
	p := New()
	cfg, err := provider.NewConfig(settings)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Configure(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return p
}

// idOrder walks the numbers in exactly the order their ids sort.
func TestIDOrderIsSortedIDOrder(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 99, 100, 999, 1000, 1009, 1010, 1234, 10000, 23456} {
		var got, want []string
		for i := range idOrder(n) {
			got = append(got, fmt.Sprintf("vm-%03d", i))
		}
		for i := 1; i <= n; i++ {
			want = append(want, fmt.Sprintf("vm-%03d", i))
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("n=%d: idOrder gives %d ids, not the %d sorted ones", n, len(got), len(want))
		}
	}
}

// The pages, joined, are the filtered inventory sorted by id; every page but the last is full.
func TestListVMPagesIsTheSortedInventory(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		settings map[string]any
		filter   provider.Filter
	}{
		{"empty", map[string]any{"vm_count": 0}, provider.Filter{}},
		{"three", map[string]any{}, provider.Filter{}},
		{"one page exactly", map[string]any{"vm_count": pageSize}, provider.Filter{}},
		{"many pages with faults", map[string]any{"vm_count": 2345, "faults": true}, provider.Filter{}},
		{"powered off", map[string]any{"vm_count": 1600}, provider.Filter{PowerState: provider.PowerOff}},
		{"by tag", map[string]any{"vm_count": 1600, "faults": true}, provider.Filter{Tags: []string{"fault"}}},
		{"by name", map[string]any{"vm_count": 1600}, provider.Filter{NamePattern: "vm-1*"}},
		{"no match", map[string]any{"vm_count": 1600}, provider.Filter{Datacenter: "DC9"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := configured(t, c.settings)
			var want []provider.VM
			for _, vm := range p.inventory() {
				if matches(vm, c.filter) {
					want = append(want, vm)
				}
			}
			slices.SortFunc(want, func(a, b provider.VM) int { return strings.Compare(a.ID, b.ID) })
			var got []provider.VM
			var sizes []int
			err := p.ListVMPages(context.Background(), c.filter, func(page []provider.VM) error {
				sizes = append(sizes, len(page))
				got = append(got, page...)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("pages hold %d VMs, want the %d of the sorted, filtered inventory", len(got), len(want))
			}
			for i, n := range sizes {
				if n == 0 || n > pageSize || n < pageSize && i < len(sizes)-1 {
					t.Errorf("page sizes %v: want full pages of %d and a last one of 1 to %d", sizes, pageSize, pageSize)
					break
				}
			}
			list, err := p.ListVMs(context.Background(), c.filter)
			if err != nil || !reflect.DeepEqual(list, want) {
				t.Errorf("ListVMs = %d VMs, %v; want the pages' %d", len(list), err, len(want))
			}
		})
	}
}

// A page's error stops the paging and comes back as it is; a cancel stops it during list_delay
// and between pages.
func TestListVMPagesStops(t *testing.T) {
	t.Parallel()
	stop := errors.New("host gone")
	cases := []struct {
		name     string
		settings map[string]any
		cancel   bool // cancel the context while the first page is handed over
		want     error
		pages    int
	}{
		{"page error", map[string]any{"vm_count": 3 * pageSize}, false, stop, 1},
		{"cancel between pages", map[string]any{"vm_count": 3 * pageSize}, true, context.Canceled, 1},
		{"cancel during list_delay", map[string]any{"vm_count": 3, "list_delay": "1h"}, true, context.Canceled, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p := configured(t, c.settings)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if c.cancel && c.pages == 0 {
				time.AfterFunc(20*time.Millisecond, cancel)
			}
			pages := 0
			err := p.ListVMPages(ctx, provider.Filter{}, func([]provider.VM) error {
				pages++
				if c.cancel {
					cancel()
					return nil
				}
				return stop
			})
			if !errors.Is(err, c.want) || pages != c.pages {
				t.Errorf("ListVMPages = %v after %d pages; want %v after %d", err, pages, c.want, c.pages)
			}
		})
	}
}
