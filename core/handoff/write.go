package handoff

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hypersdk/hypersdk/sdk/diskfile"
)

// The folders of a manifest workflow directory, as hyper2kvm creates them.
const (
	ToBeProcessed = "to_be_processed"
	Processing    = "processing"
	Processed     = "processed"
	Failed        = "failed"
)

// Submit puts m into <dir>/to_be_processed/<job id>.json and returns that path. hyper2kvm picks up
// any .json created or moved into the folder, so the manifest is written beside it under a name
// it ignores, synced, and renamed in whole; both directories are then synced so neither the
// manifest nor its temporary name outlives a crash half-done. The folder is created when
// hyper2kvm has not run yet: it queues what it finds there when it starts.
func Submit(dir, jobID string, m Manifest) (string, error) {
	queue := filepath.Join(dir, ToBeProcessed)
	if err := os.MkdirAll(queue, 0o750); err != nil {
		return "", fmt.Errorf("hyper2kvm workflow directory: %w", err)
	}
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", err
	}
	raw = append(raw, '\n')
	final := filepath.Join(queue, jobID+".json")
	tmp := filepath.Join(dir, "."+jobID+".json.part")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return "", fmt.Errorf("write hyper2kvm manifest: %w", err)
	}
	if _, err = f.Write(raw); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = diskfile.Rename(tmp, final)
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("write hyper2kvm manifest %s: %w", final, err)
	}
	if err := diskfile.SyncDir(dir); err != nil {
		return "", fmt.Errorf("write hyper2kvm manifest %s: %w", final, err)
	}
	return final, nil
}

// Withdraw takes a manifest hyper2kvm has not picked up out of to_be_processed/, renaming it to
// <job id>.json.withdrawn (an extension hyper2kvm ignores; renaming it back resubmits it). It
// returns false when the manifest was no longer there: hyper2kvm took it first.
func Withdraw(dir, jobID string) (string, bool, error) {
	from := filepath.Join(dir, ToBeProcessed, jobID+".json")
	to := from + ".withdrawn"
	err := diskfile.Rename(from, to)
	if os.IsNotExist(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("withdraw hyper2kvm manifest %s: %w", from, err)
	}
	return to, true, nil
}
