package awsprovider

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/hypersdk/hypersdk/plugins/aws/internal/motoserver"
	"github.com/hypersdk/hypersdk/sdk/provider"
)

// Listing spans DescribeInstances pages: with page_size 5, moto answers 5 instances and a
// NextToken at a time, and each page reaches the host on its own (VMPager) — every instance
// once, in pages of at most 5, server-side filters applied before the pages are cut.
func TestListingSpansSeveralPages(t *testing.T) {
	moto := motoserver.Start(t)
	var specs []motoserver.Instance
	for i := range 12 {
		specs = append(specs, motoserver.Instance{Name: fmt.Sprintf("pg-%02d", i), Tags: map[string]string{"half": fmt.Sprint(i % 2)}})
	}
	made := moto.Run(t, specs...)
	settings := moto.Settings("http://127.0.0.1:1")
	settings["page_size"] = 5
	p := configured(t, settings)

	for _, tc := range []struct {
		name string
		f    provider.Filter
		keep func(i int) bool
	}{
		{"all", provider.Filter{}, func(int) bool { return true }},
		{"tag filter", provider.Filter{Tags: []string{"half=0"}}, func(i int) bool { return i%2 == 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want []string
			for i, m := range made {
				if tc.keep(i) {
					want = append(want, m.ID)
				}
			}
			var sizes []int
			var got []string
			err := p.ListVMPages(context.Background(), tc.f, func(vms []provider.VM) error {
				sizes = append(sizes, len(vms))
				for _, vm := range vms {
					got = append(got, vm.ID)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			wantPages := (len(want) + 4) / 5
			if len(sizes) < wantPages {
				t.Fatalf("%d instances came in pages %v, want at least %d pages of at most 5", len(want), sizes, wantPages)
			}
			for _, n := range sizes {
				if n > 5 {
					t.Errorf("a page of %d instances, more than page_size 5: %v", n, sizes)
				}
			}
			t.Logf("pages: %v", sizes)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("listed %v, want %v (each once)", got, want)
			}
		})
	}
}
