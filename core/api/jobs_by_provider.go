package api

import (
	"github.com/hypersdk/hypersdk/core/jobs"
)

// providerScanPage is how many jobs one read decodes while filtering by provider.
const providerScanPage = 500

// listByProvider is GET /jobs?provider=: the store indexes jobs by status and age only, so the
// jobs of one provider instance are found by reading the (status-filtered) list in pages and
// keeping theirs. It costs a read of every job of that status; without ?provider= a page costs
// only its own jobs.
func (h *handlers) listByProvider(o jobs.ListOptions, name string) ([]jobs.Job, int, error) {
	out := []jobs.Job{}
	matched := 0
	for offset := 0; ; offset += providerScanPage {
		page, total, err := h.Jobs.List(jobs.ListOptions{Status: o.Status, Limit: providerScanPage, Offset: offset})
		if err != nil {
			return nil, 0, err
		}
		for _, j := range page {
			if j.Spec.Provider != name {
				continue
			}
			if matched >= o.Offset && len(out) < o.Limit {
				out = append(out, j)
			}
			matched++
		}
		if len(page) == 0 || offset+len(page) >= total {
			return out, matched, nil
		}
	}
}
