package jobs

import (
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/hypersdk/hypersdk/core/store"
)

// liveExportDirs maps the export directory of every pending or running export job to that
// job: two live jobs writing into one directory would overwrite each other's disks, and a
// cancel would remove the other's partial files. A finished job's directory may be exported
// into again (the user names it on purpose).
func liveExportDirs(tx *bolt.Tx) (map[string]string, error) {
	dirs := map[string]string{}
	for _, s := range []Status{StatusPending, StatusRunning} {
		_, err := store.JobPage(tx, string(s), 0, 0, func(raw []byte) error {
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

// claimExportDirs refuses, as a conflict naming export_path, any new export job whose directory
// a live job (or another job of the same batch) writes into.
func claimExportDirs(tx *bolt.Tx, jobs []Job) error {
	live, err := liveExportDirs(tx)
	if err != nil {
		return err
	}
	for i, j := range jobs {
		if j.Kind != KindExport {
			continue
		}
		if owner, taken := live[j.ExportDir]; taken {
			field := "export_path"
			if len(jobs) > 1 {
				field = fmt.Sprintf("jobs[%d].export_path", i)
			}
			return &FieldError{Field: field, Message: fmt.Sprintf("%s is being written by job %s; choose another export_path or wait until it ends", j.ExportDir, owner), Err: ErrConflict}
		}
		live[j.ExportDir] = j.ID
	}
	return nil
}
