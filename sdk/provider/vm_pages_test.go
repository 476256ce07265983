package provider

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// pagesOf yields its pages through one reused buffer, as the contract allows, and fails with err
// instead of page failAt when err is set.
type pagesOf struct {
	pages  [][]VM
	failAt int
	err    error
}

func (p pagesOf) ListVMPages(_ context.Context, _ Filter, page func([]VM) error) error {
	var buf []VM
	for i, vms := range p.pages {
		if p.err != nil && i == p.failAt {
			return fmt.Errorf("page %d: %w", i, p.err)
		}
		buf = append(buf[:0], vms...)
		if err := page(buf); err != nil {
			return err
		}
	}
	return nil
}

func TestCollectVMPages(t *testing.T) {
	t.Parallel()
	a, b, c := VM{ID: "a"}, VM{ID: "b"}, VM{ID: "c"}
	cases := []struct {
		name  string
		pager pagesOf
		want  []VM
		err   error
	}{
		{"no pages", pagesOf{}, nil, nil},
		{"pages joined in order through a reused buffer", pagesOf{pages: [][]VM{{a, b}, {}, {c}}}, []VM{a, b, c}, nil},
		{"an error after a page: no partial list", pagesOf{pages: [][]VM{{a}, {b}}, failAt: 1, err: ErrUnavailable}, nil, ErrUnavailable},
	}
	for _, c := range cases {
		got, err := CollectVMPages(context.Background(), c.pager, Filter{})
		if !errors.Is(err, c.err) || (err == nil) != (c.err == nil) || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: CollectVMPages = %v, %v; want %v, %v", c.name, got, err, c.want, c.err)
		}
	}
}
