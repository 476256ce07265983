// Package metrics is the daemon's Prometheus instrumentation, served at GET /metrics: jobs by
// state and duration, bytes exported and converted, export throughput, plugin states and
// restarts, webhook deliveries, and API latency by route and status code.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Registry holds every metric below plus the Go and process collectors.
var Registry = prometheus.NewRegistry()

var (
	// JobDuration observes finished jobs by kind and final status.
	JobDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "hypersdk_job_duration_seconds", Help: "Duration of finished jobs.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 16),
	}, []string{"kind", "status"})
	// BytesExported counts disk bytes written by exports, by provider.
	BytesExported = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hypersdk_export_bytes_total", Help: "Disk bytes exported.",
	}, []string{"provider"})
	// BytesConverted counts virtual disk bytes converted by qemu-img.
	BytesConverted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hypersdk_converted_bytes_total", Help: "Virtual disk bytes converted.",
	})
	// ExportThroughput is the average throughput of the last export to finish, by provider.
	ExportThroughput = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "hypersdk_export_throughput_bytes_per_second", Help: "Average throughput of the most recent export (bytes of its disks over the time the provider took).",
	}, []string{"provider"})
	// WebhookDeliveries counts delivery attempts by result: ok, failed (will retry), dropped.
	WebhookDeliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hypersdk_webhook_deliveries_total", Help: "Webhook delivery attempts by result.",
	}, []string{"result"})
	// HTTPRequests counts API requests by method, route and status code.
	HTTPRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hypersdk_http_requests_total", Help: "API requests.",
	}, []string{"method", "route", "code"})
	// HTTPLatency observes API request latency by method and route.
	HTTPLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "hypersdk_http_request_duration_seconds", Help: "API request latency.",
		Buckets: prometheus.DefBuckets,
	}, []string{"method", "route"})
)

func init() {
	Registry.MustRegister(JobDuration, BytesExported, BytesConverted, ExportThroughput, WebhookDeliveries,
		HTTPRequests, HTTPLatency, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

// StateCollector reports a gauge per state from a function called at scrape time, so the
// numbers are read from the source of truth rather than kept in step by hand.
type StateCollector struct {
	desc  *prometheus.Desc
	read  func() map[string]float64
	label string
}

// NewStateCollector describes a gauge family with one label.
func NewStateCollector(name, help, label string, read func() map[string]float64) *StateCollector {
	return &StateCollector{desc: prometheus.NewDesc(name, help, []string{label}, nil), read: read, label: label}
}

// Describe implements prometheus.Collector.
func (c *StateCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *StateCollector) Collect(ch chan<- prometheus.Metric) {
	for k, v := range c.read() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, v, k)
	}
}
