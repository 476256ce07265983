package jobs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hypersdk/hypersdk/core/store"
)

// liveExportDirs maps the export directory of every pending or running export job to that
// job: two live jobs writing into one directory would overwrite each other's disks, and a
// cancel would remove the other's partial files. A finished job's directory may be exported
// into again (the user names it on purpose).
func liveExportDirs(ctx context.Context, s store.JobStore) (map[string]string, error) {
	dirs := map[string]string{}
	for _, status := range []Status{StatusPending, StatusRunning} {
		_, err := s.JobPage(ctx, string(status), 0, 0, func(raw []byte) error {
			var j Job
			if err := json.Unmarshal(raw, &j); err != nil {
				return fmt.Errorf("decode job: %w", err)
			}
			if j.Kind == KindExport {
				dirs[j.ExportDir] = j.ID
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("find the live exports: %w", err)
		}
	}
	return dirs, nil
}

// seedExportDirs fills the manager's map of live export directories from the store, once, at
// start (jobs accepted later enter it as they are submitted).
func (m *Manager) seedExportDirs(ctx context.Context) error {
	dirs, err := liveExportDirs(ctx, m.store)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.exportDirs = dirs
	m.mu.Unlock()
	return nil
}

// claimExportDirs refuses, as a conflict naming export_path, any new export job whose directory
// a live job (or another job of the same batch) writes into. The manager's map names the job
// that last took each directory; the store says whether it still lives, so a submit reads one
// record per directory, not every live job. The caller holds m.submitMu until the jobs are
// stored, so two submits cannot both find a directory free.
func (m *Manager) claimExportDirs(jobs []Job) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	batch := map[string]string{}
	for i, j := range jobs {
		if j.Kind != KindExport {
			continue
		}
		owner, taken := batch[j.ExportDir]
		if !taken {
			owner, taken = m.liveOwner(j.ExportDir)
		}
		if taken {
			field := "export_path"
			if len(jobs) > 1 {
				field = fmt.Sprintf("jobs[%d].export_path", i)
			}
			return &FieldError{Field: field, Message: fmt.Sprintf("%s is being written by job %s; choose another export_path or wait until it ends", j.ExportDir, owner), Err: ErrConflict}
		}
		batch[j.ExportDir] = j.ID
	}
	// Should the jobs not be stored, these name jobs the store lacks: liveOwner drops them.
	for dir, id := range batch {
		m.exportDirs[dir] = id
	}
	return nil
}

// liveOwner is the pending or running job that writes into dir, if any; m.mu is held.
func (m *Manager) liveOwner(dir string) (string, bool) {
	id, ok := m.exportDirs[dir]
	if !ok {
		return "", false
	}
	if j, err := m.getJob(id); err == nil && !j.Status.Terminal() {
		return id, true
	}
	delete(m.exportDirs, dir)
	return "", false
}
