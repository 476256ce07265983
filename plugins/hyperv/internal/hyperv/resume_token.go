package hyperv

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// resumeToken is what an export checkpoints: the suffix naming its checkpoint and export folder
// (so a retry finds them), the export job started, and whether it shut the VM down.
type resumeToken struct {
	V          int    `json:"v"`
	VM         string `json:"vm"`
	Suffix     string `json:"suffix"`
	Job        string `json:"job,omitempty"`
	PoweredOff bool   `json:"powered_off,omitempty"`
}

// parseToken returns the token of an earlier attempt at exporting vm, or a fresh one.
func parseToken(raw []byte, vm string) resumeToken {
	var t resumeToken
	if len(raw) > 0 && json.Unmarshal(raw, &t) == nil && t.V == 1 && t.VM == vm && validSuffix(t.Suffix) {
		return t
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail
	}
	return resumeToken{V: 1, VM: vm, Suffix: hex.EncodeToString(b[:])}
}

func validSuffix(s string) bool {
	if len(s) != 12 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func (t resumeToken) bytes() []byte {
	raw, err := json.Marshal(t)
	if err != nil {
		panic(err) // plain fields
	}
	return raw
}

// names are the checkpoint's and the export folder's name: hypersdk-<job>-<suffix>, the job id
// cut to letters, digits and dashes.
func (t resumeToken) name(jobID string) string {
	var b strings.Builder
	for _, r := range jobID {
		if b.Len() >= 36 {
			break
		}
		if r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "hypersdk-" + t.Suffix
	}
	return "hypersdk-" + b.String() + "-" + t.Suffix
}
