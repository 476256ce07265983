package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestHoldsCollector(t *testing.T) {
	t.Parallel()
	counts := map[string]map[string]int{"aws-eu": {"snapshot": 2, "grant": 1}, "vsphere": {"power": 1}}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewHoldsCollector(func() map[string]map[string]int { return counts }))
	want := `
# HELP hypersdk_holds_unreleased Holds (snapshots, grants, VMs powered off...) not released yet: held by a running export or waiting for a release to succeed.
# TYPE hypersdk_holds_unreleased gauge
hypersdk_holds_unreleased{kind="grant",provider="aws-eu"} 1
hypersdk_holds_unreleased{kind="power",provider="vsphere"} 1
hypersdk_holds_unreleased{kind="snapshot",provider="aws-eu"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "hypersdk_holds_unreleased"); err != nil {
		t.Fatal(err)
	}
}
