package api

import (
	"testing"

	"github.com/hypersdk/hypersdk/core/pluginhost"
)

// Each provider shows its unreleased holds; one configured no more still shows, as such.
func TestWithHolds(t *testing.T) {
	t.Parallel()
	statuses := []pluginhost.Status{{Name: "aws-eu", State: pluginhost.StateReady}, {Name: "vsphere", State: pluginhost.StateRestarting}}
	cases := []struct {
		name       string
		unreleased map[string]int
		want       map[string]int
		gone       string
	}{
		{name: "none", unreleased: map[string]int{}, want: map[string]int{"aws-eu": 0, "vsphere": 0}},
		{name: "some", unreleased: map[string]int{"vsphere": 2}, want: map[string]int{"aws-eu": 0, "vsphere": 2}},
		{name: "provider gone", unreleased: map[string]int{"azure": 1, "aws-eu": 3}, want: map[string]int{"aws-eu": 3, "vsphere": 0, "azure": 1}, gone: "azure"},
	}
	for _, c := range cases {
		got := withHolds(statuses, c.unreleased)
		if len(got) != len(c.want) {
			t.Errorf("%s: %d providers, want %d: %+v", c.name, len(got), len(c.want), got)
		}
		for _, p := range got {
			if want, ok := c.want[p.Name]; !ok || p.UnreleasedHolds != want {
				t.Errorf("%s: %s has %d unreleased holds, want %d", c.name, p.Name, p.UnreleasedHolds, want)
			}
			if p.Name == c.gone && (p.State != pluginhost.StateNotConfigured || p.LastError == "") {
				t.Errorf("%s: the provider configured no more shows as %s %q", c.name, p.State, p.LastError)
			}
		}
	}
}
