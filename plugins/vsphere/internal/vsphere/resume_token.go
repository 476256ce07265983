package vsphere

import (
	"encoding/json"
)

// resumeToken is what the provider asks the host to keep for a job between attempts (and across
// a daemon restart): which disks are already complete, so a retry does not download them again.
// Whether the export powered the VM off is not here but in a power hold, which the host releases
// however the job ends.
type resumeToken struct {
	// LegacyPoweredOff is read from tokens of plugins before holds (v0.1), which recorded the
	// power-off here; an export handed one adopts it as a power hold. It is never written.
	LegacyPoweredOff bool             `json:"powered_off_by_us,omitempty"`
	Disks            map[int]finished `json:"disks,omitempty"`
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
	t.LegacyPoweredOff = false
	b, _ := json.Marshal(t)
	return b
}
