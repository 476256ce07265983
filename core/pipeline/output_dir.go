package pipeline

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
)

// claimFile marks a conversion output directory as taken by one job: it holds the job's id.
// Whoever creates it (O_EXCL) owns the directory; a retry of the same job, also after a crash,
// finds its own id there and goes on. It is removed once the job has finished with the
// directory, so a later job finds a directory of disks with no claim and leaves it alone.
const claimFile = ".hypersdk-job"

// OutputDirMode is the mode of the directories the converted disks go in: libvirt runs QEMU as
// its own user, which must search every directory above a disk to open it (libvirt gives it
// the disk itself when it starts the VM); nobody else may list them.
const OutputDirMode = 0o711

// errOutputTaken means a conversion output directory already holds files of another job or of
// a VM imported earlier: converting into it could overwrite disks in use.
var errOutputTaken = errors.New("output directory is in use")

// claimOutputDir makes dir the job's own: it creates dir if missing, and takes it when it is
// empty or already claimed by this job. A directory holding anything else — the disks of a VM
// imported earlier, another job's claim — is refused with ErrConflict, and nothing in it is
// touched.
func claimOutputDir(dir, jobID string) error {
	if err := os.MkdirAll(dir, OutputDirMode); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	switch owner, err := claimOwner(dir); {
	case err != nil:
		return err
	case owner == jobID:
		return clearOwnDir(dir) // what an interrupted attempt of this job left
	case owner != "":
		return fmt.Errorf("%w: %w: %s is being written by job %s", ErrConflict, errOutputTaken, dir, owner)
	}
	if err := OutputDirFree(dir); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(dir, claimFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%w: %w: %s was claimed by another job at the same moment", ErrConflict, errOutputTaken, dir)
	}
	if err != nil {
		return fmt.Errorf("claim output directory: %w", err)
	}
	if _, err := f.WriteString(jobID + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("claim output directory: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("claim output directory: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("claim output directory: %w", err)
	}
	return diskfile.SyncDir(dir)
}

// OutputDirFree says whether a job could claim dir: it is missing or empty. A directory holding
// anything — disks of an earlier import, another job's claim — is an ErrConflict naming it.
func OutputDirFree(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read output directory: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	names := make([]string, 0, 3)
	for _, e := range entries[:min(len(entries), 3)] {
		names = append(names, e.Name())
	}
	return fmt.Errorf("%w: %w: %s already holds %s (the disks of an earlier import?); remove them or choose another name",
		ErrConflict, errOutputTaken, dir, strings.Join(names, ", "))
}

// claimOwner is the id of the job that claimed dir, "" when no job did.
func claimOwner(dir string) (string, error) {
	owner, err := os.ReadFile(filepath.Join(dir, claimFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the claim of %s: %w", dir, err)
	}
	return string(bytes.TrimSpace(owner)), nil
}

// outputFiles lists what a job wrote into dir: everything but its claim.
func outputFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		if e.Name() != claimFile {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	return files, nil
}

// clearOwnDir removes everything but the claim from a directory the job owns.
func clearOwnDir(dir string) error {
	files, err := outputFiles(dir)
	if err != nil {
		return fmt.Errorf("clean output directory: %w", err)
	}
	for _, f := range files {
		if err := os.RemoveAll(f); err != nil {
			return fmt.Errorf("clean output directory: %w", err)
		}
	}
	return nil
}

// claim records in the job that it is about to claim dir, then claims it: a job that
// crashes the daemon once too often is failed at the next start, and that start removes what
// it left in dir (AbandonOutputDir checks the claim is the job's, so a claim never made is
// harmless).
func claim(st *State, dir string) error {
	st.Claimed = dir
	if err := st.Save(); err != nil {
		return fmt.Errorf("record the output directory: %w", err)
	}
	return claimOutputDir(dir, st.JobID)
}

// releaseOutputDir drops the job's claim on dir once its outputs are final.
func releaseOutputDir(dir string) error {
	if err := os.Remove(filepath.Join(dir, claimFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("release output directory %s: %w", dir, err)
	}
	return diskfile.SyncDir(dir)
}

// AbandonOutputDir undoes a failed or cancelled conversion in a directory the job claimed:
// everything in it is this job's (the claim guarantees it), so it goes, and so does the
// directory. A directory the job does not own is left alone.
func AbandonOutputDir(dir, jobID string) error {
	if owner, err := claimOwner(dir); err != nil || owner != jobID {
		return err
	}
	if err := clearOwnDir(dir); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(dir, claimFile)); err != nil {
		return fmt.Errorf("clean output directory: %w", err)
	}
	if err := os.Remove(dir); err != nil {
		return fmt.Errorf("clean output directory: %w", err)
	}
	return diskfile.SyncDir(filepath.Dir(dir))
}
