package jobs

import "errors"

// UnreleasedHolds counts the holds not released yet — held by an export that runs, or waiting
// for a release to succeed — by provider instance and kind, for /capabilities and /metrics. It
// reads only the jobs that may have some (holdGates.pinned), not every job.
func (m *Manager) UnreleasedHolds() map[string]map[string]int {
	ids := m.holdGates.pinnedJobs()
	out := map[string]map[string]int{}
	err := func() error {
		for _, id := range ids {
			j, err := m.getJob(id)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			for _, h := range j.Holds {
				if h.State == HoldReleased {
					continue
				}
				if out[h.Provider] == nil {
					out[h.Provider] = map[string]int{}
				}
				out[h.Provider][h.Kind]++
			}
		}
		return nil
	}()
	if err != nil {
		m.log.Error("cannot count the holds not released", "error", err)
	}
	return out
}

// UnreleasedHoldsByProvider sums UnreleasedHolds over kinds.
func (m *Manager) UnreleasedHoldsByProvider() map[string]int {
	out := map[string]int{}
	for p, kinds := range m.UnreleasedHolds() {
		for _, n := range kinds {
			out[p] += n
		}
	}
	return out
}
