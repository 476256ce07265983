package pipeline

import (
	"context"
	"errors"
	"os"
)

// dropExportStep removes the export once the converted disks are in place (keep_export: false).
type dropExportStep struct{ noCleanup }

func (dropExportStep) Run(_ context.Context, st *State) (int64, error) {
	removeExport(st)
	return 0, nil
}

// removeExport deletes what the job exported once its converted disks are in place
// (keep_export: false): the files it reported, then the directory if nothing else is in it.
func removeExport(st *State) {
	if st.Result == nil {
		return
	}
	for _, a := range st.Result.Artifacts {
		removeLogged(st, a.Path)
	}
	for _, p := range []string{st.Result.OVA, st.Result.Manifest} {
		if p != "" {
			removeLogged(st, p)
		}
	}
	if err := os.Remove(st.ExportDir); err != nil && !errors.Is(err, os.ErrNotExist) {
		st.Log.Info("export directory kept: it holds files the job did not write", "export_dir", st.ExportDir)
	}
	st.Result.Artifacts, st.Result.OVA, st.Result.Manifest = nil, "", ""
	st.Log.Info("export removed after conversion (keep_export: false)", "export_dir", st.ExportDir)
}

// removeLogged removes a file the job no longer needs; one that cannot be removed is logged
// (it takes space, nothing more), one already gone is not.
func removeLogged(st *State, path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		st.Log.Warn("cannot remove a file the job no longer needs", "path", path, "error", err)
	}
}
