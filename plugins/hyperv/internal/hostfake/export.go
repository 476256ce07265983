package hostfake

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/psscript"
	"github.com/hypersdk/hypersdk/plugins/hyperv/internal/wsmanfake"
)

// exportJob is a running or ended export: the WMI job start_export starts.
type exportJob struct {
	id, folder string
	started    time.Time
	cancel     context.CancelFunc
	state      string // running, completed, failed
	err        string
	files      []exportFile
}

type exportFile struct {
	Path      string `json:"Path"`
	Name      string `json:"Name"`
	SizeBytes int64  `json:"SizeBytes"`
}

const markerName = "hypersdk-export-job.txt"

type exportParams struct {
	VM     string `json:"vm"`
	Name   string `json:"name"`
	Root   string `json:"root"`
	Folder string `json:"folder"`
	Job    string `json:"job"`
}

// Folders lists the export folders under the share directory.
func (h *Host) Folders() []string {
	entries, err := os.ReadDir(h.o.ShareDir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "hypersdk-") {
			names = append(names, e.Name())
		}
	}
	return names
}

func (h *Host) checkRoot(in exportParams) *wsmanfake.Result {
	if !safeFolder(in.Folder) {
		r := fail(psscript.ExitRefused, "refused: export folder name %s", in.Folder)
		return &r
	}
	if in.Root != h.o.Root {
		r := fail(1, "Cannot find path '%s' because it does not exist.", in.Root)
		return &r
	}
	return nil
}

func (h *Host) startExport(_ context.Context, params []byte) wsmanfake.Result {
	in, bad := decode[exportParams](h, params)
	if bad != nil {
		return *bad
	}
	if r := h.checkRoot(in); r != nil {
		return *r
	}
	dir := filepath.Join(h.o.ShareDir, in.Folder)
	if id, err := os.ReadFile(filepath.Join(dir, markerName)); err == nil {
		return ok(map[string]string{"job": strings.TrimSpace(string(id))})
	}
	h.mu.Lock()
	vm, found := h.localVM(in.VM)
	var snapshot VM
	if found {
		snapshot = *vm
	}
	hasCheckpoint := h.checkpoints[in.VM][in.Name]
	h.seq++
	id := fmt.Sprintf(`Microsoft:EXPORT-%04d-%s`, h.seq, in.Folder)
	h.mu.Unlock()
	if !found {
		return fail(psscript.ExitNotFound, "no virtual machine with id %s", in.VM)
	}
	if !hasCheckpoint {
		return fail(psscript.ExitNotFound, "no checkpoint %s of virtual machine %s", in.Name, snapshot.Name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fail(1, "%v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, markerName), []byte(id+"\r\n"), 0o644); err != nil {
		return fail(1, "%v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	job := &exportJob{id: id, folder: in.Folder, started: time.Now(), cancel: cancel, state: "running"}
	h.mu.Lock()
	h.jobs[id] = job
	h.made["export"]++
	h.mu.Unlock()
	go h.runExport(ctx, job, snapshot, dir)
	return ok(map[string]string{"job": id})
}

// runExport copies the VM's disks as Export-VMSnapshot lays them out:
// <folder>\<VM name>\Virtual Hard Disks\<file name>.
func (h *Host) runExport(ctx context.Context, job *exportJob, vm VM, dir string) {
	files, err := func() ([]exportFile, error) {
		vhds := filepath.Join(dir, vm.Name, "Virtual Hard Disks")
		if err := os.MkdirAll(vhds, 0o755); err != nil {
			return nil, err
		}
		var files []exportFile
		for _, d := range vm.Disks {
			name := d.Path[strings.LastIndex(d.Path, `\`)+1:]
			n, err := copyFile(ctx, d.File, filepath.Join(vhds, name))
			if err != nil {
				return nil, err
			}
			files = append(files, exportFile{Path: job.folder + `\` + vm.Name + `\Virtual Hard Disks\` + name, Name: name, SizeBytes: n})
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Until(job.started.Add(h.o.ExportTime))):
		}
		return files, nil
	}()
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err != nil:
		job.state, job.err = "failed", err.Error()
	default:
		job.state, job.files = "completed", files
	}
}

func copyFile(ctx context.Context, from, to string) (int64, error) {
	src, err := os.Open(from)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = ctx.Err()
	}
	return n, err
}

func (h *Host) exportStatus(_ context.Context, params []byte) wsmanfake.Result {
	in, bad := decode[exportParams](h, params)
	if bad != nil {
		return *bad
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	job, found := h.jobs[in.Job]
	if !found {
		return fail(psscript.ExitNotFound, "no export job %s", in.Job)
	}
	percent := 100
	if job.state == "running" && h.o.ExportTime > 0 {
		percent = min(99, int(100*time.Since(job.started)/h.o.ExportTime))
	}
	files := job.files
	if files == nil {
		files = []exportFile{}
	}
	return ok(map[string]any{"state": job.state, "percent": percent, "error": job.err, "files": files})
}

func (h *Host) removeExport(_ context.Context, params []byte) wsmanfake.Result {
	in, bad := decode[exportParams](h, params)
	if bad != nil {
		return *bad
	}
	if r := h.checkRoot(in); r != nil {
		return *r
	}
	dir := filepath.Join(h.o.ShareDir, in.Folder)
	if id, err := os.ReadFile(filepath.Join(dir, markerName)); err == nil {
		h.mu.Lock()
		if job := h.jobs[strings.TrimSpace(string(id))]; job != nil {
			job.cancel()
		}
		h.mu.Unlock()
	}
	_, err := os.Stat(dir)
	removed := err == nil
	if removed {
		if err := os.RemoveAll(dir); err != nil {
			return fail(1, "%v", err)
		}
	}
	return ok(map[string]bool{"removed": removed})
}
