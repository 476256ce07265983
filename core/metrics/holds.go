package metrics

import "github.com/prometheus/client_golang/prometheus"

// HoldsCollector is hypersdk_holds_unreleased{provider,kind}: the holds jobs have not released
// yet, read from the job store at scrape time (jobs.Manager.UnreleasedHolds).
type HoldsCollector struct {
	desc *prometheus.Desc
	read func() map[string]map[string]int
}

// NewHoldsCollector describes the gauge; read returns counts by provider instance, then kind.
func NewHoldsCollector(read func() map[string]map[string]int) *HoldsCollector {
	return &HoldsCollector{
		desc: prometheus.NewDesc("hypersdk_holds_unreleased",
			"Holds (snapshots, grants, VMs powered off...) not released yet: held by a running export or waiting for a release to succeed.",
			[]string{"provider", "kind"}, nil),
		read: read,
	}
}

// Describe implements prometheus.Collector.
func (c *HoldsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *HoldsCollector) Collect(ch chan<- prometheus.Metric) {
	for p, kinds := range c.read() {
		for kind, n := range kinds {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), p, kind)
		}
	}
}
