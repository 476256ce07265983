package awsprovider

import (
	"encoding/json"
	"fmt"
	"sync"
)

// resumeToken is an export's checkpoint: its snapshots and, per volume, how far the download
// got. A retry whose snapshots still exist lists blocks from Next on and fetches nothing below.
type resumeToken struct {
	Instance string         `json:"instance"`
	Region   string         `json:"region"`
	Hold     string         `json:"hold"`
	Volumes  []volumeCursor `json:"volumes"`
}

// volumeCursor is one volume's download: every listed block below Next is written, Bytes of
// them; Complete when the whole snapshot is.
type volumeCursor struct {
	Volume   string `json:"volume"`
	Snapshot string `json:"snapshot"`
	Next     int32  `json:"next"`
	Bytes    int64  `json:"bytes"`
	Complete bool   `json:"complete,omitempty"`
}

func decodeToken(b []byte) (resumeToken, bool) {
	var t resumeToken
	if len(b) == 0 || json.Unmarshal(b, &t) != nil || t.Instance == "" {
		return resumeToken{}, false
	}
	return t, true
}

// cursors is the live token of a running export, shared by its volume downloads.
type cursors struct {
	mu  sync.Mutex
	tok resumeToken
}

func (c *cursors) set(i int, cur volumeCursor) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tok.Volumes[i] = cur
}

func (c *cursors) get(i int) volumeCursor {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tok.Volumes[i]
}

func (c *cursors) encode() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := json.Marshal(c.tok)
	if err != nil {
		return nil, fmt.Errorf("encode the resume token: %w", err)
	}
	return b, nil
}
