package vsphere

import (
	"encoding/json"
)

// resumeToken is what the provider asks the host to keep for a job between attempts (and across
// a daemon restart): which disks are already complete, and whether this job powered the VM off,
// so a retry neither downloads finished disks again nor forgets to restore the power state.
type resumeToken struct {
	PoweredOffByUs bool             `json:"powered_off_by_us,omitempty"`
	Disks          map[int]finished `json:"disks,omitempty"`
}

type finished struct {
	File   string `json:"file"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

func decodeToken(raw []byte) resumeToken {
	var t resumeToken
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &t) // a token from another version is no token: start over
	}
	if t.Disks == nil {
		t.Disks = map[int]finished{}
	}
	return t
}

func (t resumeToken) encode() []byte {
	b, _ := json.Marshal(t)
	return b
}
