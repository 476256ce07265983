package scheduler

import (
	"sort"
	"time"

	"github.com/hypersdk/hypersdk/core/jobs"
)

// toPrune chooses which of one VM's backups retention deletes. Only finished backups are
// candidates (a pending or running one is being written); the newest completed backup is always
// kept; completed backups beyond Count or older than AgeDays go; a failed backup goes once a
// newer completed one exists.
func toPrune(backups []Backup, r Retention, now time.Time) []Backup {
	sorted := append([]Backup(nil), backups...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].CreatedAt.After(sorted[j].CreatedAt) })
	var out []Backup
	kept := 0
	seenSuccess := false
	for _, b := range sorted {
		switch jobs.Status(b.Status) {
		case jobs.StatusCompleted:
			if !seenSuccess {
				seenSuccess = true
				kept++
				continue
			}
			tooMany := r.Count > 0 && kept >= r.Count
			tooOld := r.AgeDays > 0 && now.Sub(b.CreatedAt) > time.Duration(r.AgeDays)*24*time.Hour
			if tooMany || tooOld {
				out = append(out, b)
				continue
			}
			kept++
		case jobs.StatusFailed, jobs.StatusCancelled:
			if seenSuccess {
				out = append(out, b)
			}
		}
	}
	return out
}
