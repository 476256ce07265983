package logging

import (
	"fmt"
	"testing"
)

func TestPresentDropsEmptyFields(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, want []any
	}{
		{in: []any{"provider", "", "vm", "web"}, want: []any{"vm", "web"}},
		{in: []any{"files", 0, "ova", ""}, want: []any{"files", 0}},
		{in: []any{"disk", 1, "error", nil}, want: []any{"disk", 1, "error", nil}},
		{in: []any{"ova", ""}, want: []any{}},
	}
	for _, c := range cases {
		if got := Present(c.in...); fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Errorf("Present(%v) = %v, want %v", c.in, got, c.want)
		}
	}
}
