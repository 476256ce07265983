package gcp

import (
	"context"
	"encoding/json"
	"fmt"
)

// resumeToken is an export's checkpoint: per disk, what it made in the project and how far the
// download got. A retry whose build is still running or succeeded (with its object still
// there) goes on from it; a disk whose build is gone starts over.
type resumeToken struct {
	VM    string      `json:"vm"`
	Disks []diskState `json:"disks"`
}

// diskState is one disk's part of the token.
type diskState struct {
	Snapshot string `json:"snapshot,omitempty"`
	Image    string `json:"image,omitempty"`
	Tag      string `json:"tag,omitempty"`
	Build    string `json:"build,omitempty"`
	Object   string `json:"object,omitempty"`
	Format   string `json:"format,omitempty"` // qcow2, or "" for the builder's tar.gz of disk.raw
	Size     int64  `json:"size,omitempty"`   // the object's size, once known
	Done     int64  `json:"done,omitempty"`   // bytes of the object in the local file, from 0 on
	// CloudDone: the build succeeded and the snapshot, image and build were deleted.
	CloudDone bool `json:"cloud_done,omitempty"`

	resumed bool
}

// checkpoint records the token with the host; an export that cannot checkpoint stops.
func (ex *export) checkpoint(ctx context.Context) error {
	ex.mu.Lock()
	b, err := json.Marshal(ex.state)
	ex.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode the resume token: %w", err)
	}
	if err := ex.r.Checkpoint(ctx, b); err != nil {
		return fmt.Errorf("record the checkpoint: %w", err)
	}
	return nil
}

// update changes disk i's state and checkpoints it.
func (ex *export) update(ctx context.Context, i int, change func(*diskState)) error {
	ex.mu.Lock()
	change(&ex.state.Disks[i])
	ex.mu.Unlock()
	return ex.checkpoint(ctx)
}

func (ex *export) disk(i int) diskState {
	ex.mu.Lock()
	defer ex.mu.Unlock()
	return ex.state.Disks[i]
}

// decodeToken reads a resume token of this VM with n disks; anything else is no token.
func decodeToken(raw []byte, vmID string, n int) (resumeToken, bool) {
	var t resumeToken
	if len(raw) == 0 || json.Unmarshal(raw, &t) != nil || t.VM != vmID || len(t.Disks) != n {
		return resumeToken{}, false
	}
	return t, true
}
