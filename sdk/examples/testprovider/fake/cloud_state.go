package fake

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// CloudState is the fake cloud of cloud mode: the snapshots and grants exports made and have
// not deleted yet, by id, kept as JSON in the file named by the cloud_state setting. Tests read
// it to see what a crash or a cancel left behind.
type CloudState struct {
	Snapshots map[string]CloudResource `json:"snapshots"`
	Grants    map[string]CloudResource `json:"grants"`
}

// CloudResource is one fake snapshot or grant.
type CloudResource struct {
	VM      string    `json:"vm"`
	Job     string    `json:"job,omitempty"`
	Created time.Time `json:"created"`
}

// ReadCloudState reads a cloud_state file; a file not written yet is an empty cloud.
func ReadCloudState(path string) (CloudState, error) {
	st := CloudState{Snapshots: map[string]CloudResource{}, Grants: map[string]CloudResource{}}
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read cloud state: %w", err)
	}
	if err := json.Unmarshal(raw, &st); err != nil {
		return st, fmt.Errorf("cloud state %s: %w", path, err)
	}
	if st.Snapshots == nil {
		st.Snapshots = map[string]CloudResource{}
	}
	if st.Grants == nil {
		st.Grants = map[string]CloudResource{}
	}
	return st, nil
}

// cloudMu serialises the changes of this process; lockCloud those of the plugin processes of
// one daemon and the next (a plugin that lost its daemon may still be writing while the new
// daemon's plugin releases what it left).
var cloudMu sync.Mutex

// changeCloud reads the state file, applies change and writes it back atomically (a temporary
// file renamed over it), so a reader never sees half a file.
func changeCloud(path string, change func(*CloudState) error) error {
	cloudMu.Lock()
	defer cloudMu.Unlock()
	unlock, err := lockCloud(path + ".lock")
	if err != nil {
		return fmt.Errorf("lock cloud state: %w", err)
	}
	defer unlock()
	st, err := ReadCloudState(path)
	if err != nil {
		return err
	}
	if err := change(&st); err != nil {
		return err
	}
	raw, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return fmt.Errorf("encode cloud state: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".cloud-state-*")
	if err != nil {
		return fmt.Errorf("write cloud state: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return fmt.Errorf("write cloud state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write cloud state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write cloud state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write cloud state: %w", err)
	}
	return nil
}

// resources returns the map of a hold kind's resources.
func (st *CloudState) resources(kind string) (map[string]CloudResource, error) {
	switch kind {
	case kindSnapshot:
		return st.Snapshots, nil
	case kindGrant:
		return st.Grants, nil
	}
	return nil, fmt.Errorf("the fake cloud has no resources of kind %q", kind)
}
